package cnc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

// FileName is the file's name in aeron.dir.
const FileName = "cnc.dat"

// Version is CnC 0.2.0, composed as (major<<16 | minor<<8 | patch).
const Version int32 = 2 << 8 // 0.2.0

// MetadataLength is the header before the first section.
const MetadataLength = 128

// Header offsets.
const (
	versionOffset               = 0
	toDriverLengthOffset        = 4
	toClientsLengthOffset       = 8
	counterMetadataLengthOffset = 12
	counterValuesLengthOffset   = 16
	errorLogLengthOffset        = 20
	clientLivenessOffset        = 24
	startTimestampOffset        = 32
	pidOffset                   = 40
	filePageSizeOffset          = 48
)

// Lengths are the section lengths.
type Lengths struct {
	ToDriver, ToClients, CounterMetadata, CounterValues, ErrorLog int
}

func (l Lengths) total() int {
	return MetadataLength + l.ToDriver + l.ToClients + l.CounterMetadata + l.CounterValues + l.ErrorLog
}

// Params describe a new file.
type Params struct {
	Lengths
	ClientLivenessTimeout time.Duration
	StartTimestampMs      int64
	PID                   int64
	FilePageSize          int
}

// File is a mapped cnc.dat.
type File struct {
	m       *shm.MappedFile
	buf     shm.AtomicBuffer
	lengths Lengths
}

// Create writes a new cnc.dat in dir and publishes it: the header and the
// (zeroed, hence empty) sections first, the version last with release order,
// so a client that sees the version sees a usable file (CncFileDescriptor,
// §3). The file length is the header plus the sections rounded up to the
// file page size, as Aeron computes it.
func Create(dir string, l Lengths, clientLivenessTimeoutNs int64, startTimestampMs int64, pid int64, filePageSize int) (*File, error) {
	f, err := CreateFile(dir, Params{
		Lengths:               l,
		ClientLivenessTimeout: time.Duration(clientLivenessTimeoutNs),
		StartTimestampMs:      startTimestampMs,
		PID:                   pid,
		FilePageSize:          filePageSize,
	})
	if err != nil {
		return nil, err
	}
	f.Ready()
	return f, nil
}

// CreateFile writes a new cnc.dat in dir with every field but the version,
// for a driver that initialises its structures before calling Ready.
func CreateFile(dir string, p Params) (*File, error) {
	if p.ToDriver <= 0 || p.ToClients <= 0 || p.CounterMetadata <= 0 || p.CounterValues <= 0 || p.ErrorLog <= 0 {
		return nil, fmt.Errorf("create cnc file in %s: every section needs a positive length: %+v", dir, p.Lengths)
	}
	pageSize := p.FilePageSize
	if !shm.IsPowerOfTwo(pageSize) {
		pageSize = 4096
	}
	length := shm.AlignInt(p.total(), pageSize)
	m, err := shm.MapNewFile(filepath.Join(dir, FileName), int64(length), 0o600, false)
	if err != nil {
		return nil, fmt.Errorf("create cnc file: %w", err)
	}
	b := m.Buffer()
	b.PutInt32(toDriverLengthOffset, int32(p.ToDriver))
	b.PutInt32(toClientsLengthOffset, int32(p.ToClients))
	b.PutInt32(counterMetadataLengthOffset, int32(p.CounterMetadata))
	b.PutInt32(counterValuesLengthOffset, int32(p.CounterValues))
	b.PutInt32(errorLogLengthOffset, int32(p.ErrorLog))
	b.PutInt64(clientLivenessOffset, int64(p.ClientLivenessTimeout))
	b.PutInt64(startTimestampOffset, p.StartTimestampMs)
	b.PutInt64(pidOffset, p.PID)
	b.PutInt32(filePageSizeOffset, int32(pageSize))
	return &File{m: m, buf: b, lengths: p.Lengths}, nil
}

// Ready publishes the version, which tells clients the file is usable.
func (f *File) Ready() { f.buf.PutInt32Ordered(versionOffset, Version) }

// ErrNotReady means the file exists but no driver has finished writing it.
var ErrNotReady = errors.New("cnc file not ready")

// DefaultOpenTimeout is how long Open waits for a driver to publish the
// file.
const DefaultOpenTimeout = 2 * time.Second

// Open maps an existing cnc.dat, as clients and tools do, waiting up to
// DefaultOpenTimeout for the driver to publish it. It fails if the file is
// not ready by then or of another major version.
func Open(dir string) (*File, error) { return OpenTimeout(dir, DefaultOpenTimeout) }

// OpenTimeout is Open with a chosen wait; 0 tries once.
func OpenTimeout(dir string, timeout time.Duration) (*File, error) {
	path := filepath.Join(dir, FileName)
	deadline := time.Now().Add(timeout)
	const pollInterval = 10 * time.Millisecond
	for {
		f, err := openOnce(path)
		if err == nil || !errors.Is(err, ErrNotReady) || !time.Now().Before(deadline) {
			return f, err
		}
		time.Sleep(min(pollInterval, time.Until(deadline)))
	}
}

func openOnce(path string) (*File, error) {
	// A file that is missing or shorter than its header may be one a
	// driver is creating right now: not ready yet, rather than broken.
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrNotReady, err)
		}
		return nil, fmt.Errorf("open cnc file: %w", err)
	}
	if st.Size() < MetadataLength {
		return nil, fmt.Errorf("%s: %w (%d bytes)", path, ErrNotReady, st.Size())
	}
	m, err := shm.MapExistingFile(path)
	if err != nil {
		return nil, fmt.Errorf("open cnc file: %w", err)
	}
	f, err := fromMapping(m)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func fromMapping(m *shm.MappedFile) (*File, error) {
	l, err := parseHeader(m.Buffer())
	if err != nil {
		return nil, err
	}
	return &File{m: m, buf: m.Buffer(), lengths: l}, nil
}

// parseHeader checks the version and that the sections fit the file.
func parseHeader(b shm.AtomicBuffer) (Lengths, error) {
	if b.Capacity() < MetadataLength {
		return Lengths{}, ErrNotReady
	}
	v := b.GetInt32Volatile(versionOffset)
	if v == 0 {
		return Lengths{}, ErrNotReady
	}
	if v>>16 != Version>>16 {
		return Lengths{}, fmt.Errorf("cnc version %s is incompatible with %s (major versions differ)", VersionString(v), VersionString(Version))
	}
	l := Lengths{
		ToDriver:        int(b.GetInt32(toDriverLengthOffset)),
		ToClients:       int(b.GetInt32(toClientsLengthOffset)),
		CounterMetadata: int(b.GetInt32(counterMetadataLengthOffset)),
		CounterValues:   int(b.GetInt32(counterValuesLengthOffset)),
		ErrorLog:        int(b.GetInt32(errorLogLengthOffset)),
	}
	if l.ToDriver < 0 || l.ToClients < 0 || l.CounterMetadata < 0 || l.CounterValues < 0 || l.ErrorLog < 0 || l.total() > b.Capacity() {
		return Lengths{}, fmt.Errorf("cnc sections (%d bytes) do not fit the file (%d bytes)", l.total(), b.Capacity())
	}
	return l, nil
}

// VersionString renders a composed version.
func VersionString(v int32) string { return fmt.Sprintf("%d.%d.%d", v>>16, (v>>8)&0xff, v&0xff) }

func (f *File) section(before, length int) shm.AtomicBuffer {
	return f.buf.Slice(MetadataLength+before, length)
}

// ToDriver is the to-driver ring buffer section.
func (f *File) ToDriver() shm.AtomicBuffer { return f.section(0, f.lengths.ToDriver) }

// ToClients is the broadcast buffer section.
func (f *File) ToClients() shm.AtomicBuffer {
	return f.section(f.lengths.ToDriver, f.lengths.ToClients)
}

// CountersMetadata is the counters metadata section.
func (f *File) CountersMetadata() shm.AtomicBuffer {
	return f.section(f.lengths.ToDriver+f.lengths.ToClients, f.lengths.CounterMetadata)
}

// CountersValues is the counters values section.
func (f *File) CountersValues() shm.AtomicBuffer {
	return f.section(f.lengths.ToDriver+f.lengths.ToClients+f.lengths.CounterMetadata, f.lengths.CounterValues)
}

// ErrorLog is the distinct error log section.
func (f *File) ErrorLog() shm.AtomicBuffer {
	return f.section(f.lengths.ToDriver+f.lengths.ToClients+f.lengths.CounterMetadata+f.lengths.CounterValues, f.lengths.ErrorLog)
}

// ClientLivenessTimeout from the header.
func (f *File) ClientLivenessTimeout() time.Duration {
	return time.Duration(f.buf.GetInt64(clientLivenessOffset))
}

// StartTimestamp is the driver's start time, epoch ms.
func (f *File) StartTimestamp() int64 { return f.buf.GetInt64(startTimestampOffset) }

// PID is the driver's process id.
func (f *File) PID() int64 { return f.buf.GetInt64(pidOffset) }

// Path is the file's path.
func (f *File) Path() string { return f.m.Path() }

// DriverHeartbeatMs is the to-driver ring's consumer heartbeat: the time the
// driver last proved it was alive, -1 after an orderly shutdown.
func (f *File) DriverHeartbeatMs() int64 {
	td := f.ToDriver()
	if td.Capacity() < ringbuffer.TrailerLength {
		return 0
	}
	return td.GetInt64Volatile(td.Capacity() - ringbuffer.TrailerLength + ringbuffer.ConsumerHeartbeatOffset)
}

// Sync flushes the file.
func (f *File) Sync() error { return f.m.Sync() }

// Close unmaps the file.
func (f *File) Close() error { return f.m.Close() }

// Liveness describes the driver behind an existing cnc.dat.
type Liveness struct {
	Active      bool
	PID         int64
	HeartbeatMs int64
}

// CheckDriver reports whether a live driver owns dir: a ready cnc.dat whose
// heartbeat is younger than timeout at nowMs. A file still being written is
// waited for up to timeout, as a driver starting right now is live.
func CheckDriver(dir string, timeout time.Duration, nowMs int64) (Liveness, error) {
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Liveness{}, nil
		}
		return Liveness{}, fmt.Errorf("check driver in %s: %w", dir, err)
	}
	f, err := OpenTimeout(dir, timeout)
	if err != nil {
		if errors.Is(err, ErrNotReady) {
			return Liveness{}, nil
		}
		return Liveness{}, fmt.Errorf("check driver in %s: %w", dir, err)
	}
	defer f.Close()
	hb := f.DriverHeartbeatMs()
	l := Liveness{PID: f.PID(), HeartbeatMs: hb}
	l.Active = hb > 0 && nowMs-hb <= timeout.Milliseconds()
	return l, nil
}

// IsDriverActive reports whether a driver whose heartbeat is younger than
// timeout owns dir, for refusing to start over a live driver. It returns
// that driver's pid and last heartbeat (epoch ms) when a cnc.dat exists.
func IsDriverActive(dir string, timeout time.Duration) (active bool, pid int64, lastHeartbeatMs int64, err error) {
	l, err := CheckDriver(dir, timeout, time.Now().UnixMilli())
	return l.Active, l.PID, l.HeartbeatMs, err
}
