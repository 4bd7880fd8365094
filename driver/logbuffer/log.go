package logbuffer

import (
	"fmt"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Log is a mapped log buffer file.
type Log struct {
	m          *shm.MappedFile
	terms      [PartitionCount]shm.AtomicBuffer
	meta       Meta
	termLength int
}

// Create makes a new log file of the given term length and page size.
func Create(path string, termLength, pageSize int, sparse bool) (*Log, error) {
	if err := CheckTermLength(termLength); err != nil {
		return nil, err
	}
	if err := CheckPageSize(pageSize); err != nil {
		return nil, err
	}
	m, err := shm.MapNewFile(path, ComputeLogLength(termLength, pageSize), 0o600, sparse)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	return wrap(m, termLength), nil
}

// Map maps an existing log, reading the term length from its metadata.
func Map(path string) (*Log, error) {
	m, err := shm.MapExistingFile(path)
	if err != nil {
		return nil, err
	}
	b := m.Buffer()
	if b.Capacity() < MetadataLength {
		m.Close()
		return nil, fmt.Errorf("log %s is too short", path)
	}
	meta := Meta{b.Slice(b.Capacity()-MetadataLength, MetadataLength)}
	tl := int(meta.TermLength())
	if err := CheckTermLength(tl); err != nil || PartitionCount*tl+MetadataLength > b.Capacity() {
		m.Close()
		return nil, fmt.Errorf("log %s: bad term length %d", path, tl)
	}
	return wrap(m, tl), nil
}

func wrap(m *shm.MappedFile, termLength int) *Log {
	b := m.Buffer()
	l := &Log{m: m, termLength: termLength}
	for i := range l.terms {
		l.terms[i] = b.Slice(i*termLength, termLength)
	}
	l.meta = Meta{b.Slice(b.Capacity()-MetadataLength, MetadataLength)}
	return l
}

// Term returns partition i.
func (l *Log) Term(i int) shm.AtomicBuffer { return l.terms[i] }

// Meta is the metadata section.
func (l *Log) Meta() Meta { return l.meta }

// TermLength is the term length.
func (l *Log) TermLength() int { return l.termLength }

// Path is the log file's path.
func (l *Log) Path() string { return l.m.Path() }

// Length is the file length.
func (l *Log) Length() int { return l.m.Length() }

// Close unmaps the log.
func (l *Log) Close() error { return l.m.Close() }
