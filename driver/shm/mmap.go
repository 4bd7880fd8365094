package shm

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MappedFile is a file mapped shared and read-write.
type MappedFile struct {
	path string
	data []byte
}

// MapNewFile creates path (failing if it exists) with the given length and
// mode, and maps it. Without sparse, every page is touched so that running
// out of space shows here, not as a SIGBUS later.
func MapNewFile(path string, length int64, mode os.FileMode, sparse bool) (*MappedFile, error) {
	if length <= 0 {
		return nil, fmt.Errorf("map %s: length %d", path, length)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if err := f.Truncate(length); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("size %s to %d: %w", path, length, err)
	}
	if !sparse {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, length); err != nil && !errors.Is(err, unix.EOPNOTSUPP) {
			os.Remove(path)
			return nil, fmt.Errorf("allocate %d bytes for %s: %w", length, path, err)
		}
	}
	m, err := mapFD(path, f, int(length))
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return m, nil
}

// MapExistingFile maps the whole of an existing file.
func MapExistingFile(path string) (*MappedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() <= 0 {
		return nil, fmt.Errorf("map %s: file is empty", path)
	}
	return mapFD(path, f, int(st.Size()))
}

func mapFD(path string, f *os.File, length int) (*MappedFile, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s (%d bytes): %w", path, length, err)
	}
	return &MappedFile{path: path, data: data}, nil
}

// Buffer is the whole mapping.
func (m *MappedFile) Buffer() AtomicBuffer { return NewAtomicBuffer(m.data) }

// Path is the mapped file's path.
func (m *MappedFile) Path() string { return m.path }

// Length is the mapping's length.
func (m *MappedFile) Length() int { return len(m.data) }

// Sync flushes the mapping to the file.
func (m *MappedFile) Sync() error {
	if m.data == nil {
		return nil
	}
	return unix.Msync(m.data, unix.MS_SYNC)
}

// Close unmaps the file. Views taken from it must not be used afterwards.
func (m *MappedFile) Close() error {
	if m.data == nil {
		return nil
	}
	err := unix.Munmap(m.data)
	m.data = nil
	if err != nil {
		return fmt.Errorf("unmap %s: %w", m.path, err)
	}
	return nil
}

// MapFile maps path read-write and shared. With create it makes a new file
// of length bytes (mode 0600, every page allocated, failing if it exists);
// without, it maps an existing file, which must hold at least length bytes
// (length 0 maps the whole file).
func MapFile(path string, length int, create bool) (*MappedFile, error) {
	if create {
		return MapNewFile(path, int64(length), 0o600, false)
	}
	m, err := MapExistingFile(path)
	if err != nil {
		return nil, err
	}
	if m.Length() < length {
		m.Close()
		return nil, fmt.Errorf("map %s: file holds %d bytes, want %d", path, m.Length(), length)
	}
	return m, nil
}

// MapExisting maps the whole of an existing file read-write and shared.
func MapExisting(path string) (*MappedFile, error) { return MapExistingFile(path) }
