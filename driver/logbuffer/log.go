package logbuffer

import (
	"fmt"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// LogBuffers is a mapped log buffer file: three terms and the metadata
// section (§2.1).
type LogBuffers struct {
	m          *shm.MappedFile
	terms      [PartitionCount]shm.AtomicBuffer
	meta       shm.AtomicBuffer
	termLength int
}

// CreateLog makes a new log file of ComputeLogLength(termLength, pageSize)
// bytes. Without sparse every page is allocated up front, so a full
// /dev/shm fails here rather than with SIGBUS on a later write.
func CreateLog(path string, termLength, pageSize int, sparse bool) (*LogBuffers, error) {
	if err := CheckTermLength(termLength); err != nil {
		return nil, fmt.Errorf("create log %s: %w", path, err)
	}
	if err := CheckPageSize(pageSize); err != nil {
		return nil, fmt.Errorf("create log %s: %w", path, err)
	}
	m, err := shm.MapNewFile(path, ComputeLogLength(termLength, pageSize), 0o600, sparse)
	if err != nil {
		return nil, fmt.Errorf("create log %s: %w", path, err)
	}
	return wrap(m, termLength), nil
}

// MapLog maps an existing log, reading the term length from its metadata.
func MapLog(path string) (*LogBuffers, error) {
	m, err := shm.MapExistingFile(path)
	if err != nil {
		return nil, fmt.Errorf("map log %s: %w", path, err)
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

func wrap(m *shm.MappedFile, termLength int) *LogBuffers {
	b := m.Buffer()
	l := &LogBuffers{m: m, termLength: termLength}
	for i := range l.terms {
		l.terms[i] = b.Slice(i*termLength, termLength)
	}
	l.meta = b.Slice(b.Capacity()-MetadataLength, MetadataLength)
	return l
}

// Term returns partition i.
func (l *LogBuffers) Term(i int) shm.AtomicBuffer { return l.terms[i] }

// Terms returns the three partitions.
func (l *LogBuffers) Terms() [PartitionCount]shm.AtomicBuffer { return l.terms }

// Meta is the metadata section, for the free accessor functions.
func (l *LogBuffers) Meta() shm.AtomicBuffer { return l.meta }

// Metadata is a typed view of the metadata section.
func (l *LogBuffers) Metadata() Meta { return Meta{l.meta} }

// TermLength is the term length.
func (l *LogBuffers) TermLength() int { return l.termLength }

// Path is the log file's path.
func (l *LogBuffers) Path() string { return l.m.Path() }

// Length is the file length.
func (l *LogBuffers) Length() int { return l.m.Length() }

// Close unmaps the log.
func (l *LogBuffers) Close() error { return l.m.Close() }
