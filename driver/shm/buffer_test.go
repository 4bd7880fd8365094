package shm

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPlainAccessorsLittleEndian(t *testing.T) {
	b := NewAtomicBuffer(make([]byte, 64))
	b.PutInt32(0, 0x01020304)
	b.PutInt64(8, -2)
	b.PutInt16(16, 0x0506)
	b.PutUint8(18, 7)
	raw := b.Bytes()
	if raw[0] != 4 || raw[3] != 1 || raw[16] != 6 || raw[17] != 5 || raw[8] != 0xfe || raw[15] != 0xff {
		t.Fatalf("not little-endian: % x", raw[:19])
	}
	if b.GetInt32(0) != 0x01020304 || b.GetInt64(8) != -2 || b.GetInt16(16) != 0x0506 || b.GetUint8(18) != 7 {
		t.Fatal("round trip")
	}
	b.PutBytes(24, []byte("abc"))
	dst := make([]byte, 3)
	b.GetBytes(24, dst)
	if string(dst) != "abc" {
		t.Fatalf("bytes %q", dst)
	}
	b.SetMemory(24, 2, 'z')
	b.GetBytes(24, dst)
	if string(dst) != "zzc" {
		t.Fatalf("set memory %q", dst)
	}
	b.SetMemory(24, 3, 0)
	if b.GetInt32(24) != 0 {
		t.Fatal("clear")
	}
	s := b.Slice(8, 8)
	if s.Capacity() != 8 || s.GetInt64(0) != -2 {
		t.Fatal("slice")
	}
	if !b.Valid(60, 4) || b.Valid(61, 4) || b.Valid(-1, 1) || b.Valid(0, -1) {
		t.Fatal("valid")
	}
}

func TestAtomics(t *testing.T) {
	b := NewAtomicBuffer(make([]byte, 16))
	if err := b.CheckAlignment(); err != nil {
		t.Fatal(err)
	}
	b.PutInt64Ordered(0, 5)
	if !b.CompareAndSetInt64(0, 5, 6) || b.CompareAndSetInt64(0, 5, 7) || b.GetInt64Volatile(0) != 6 {
		t.Fatal("cas64")
	}
	b.PutInt32Ordered(8, 1)
	if !b.CompareAndSetInt32(8, 1, 2) || b.CompareAndSetInt32(8, 1, 3) || b.GetInt32Volatile(8) != 2 {
		t.Fatal("cas32")
	}
	const goroutines, each = 4, 1000
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				b.GetAndAddInt64(0, 1)
				b.GetAndAddInt32(8, 1)
			}
		}()
	}
	wg.Wait()
	if b.GetInt64Volatile(0) != 6+goroutines*each || b.GetInt32Volatile(8) != 2+goroutines*each {
		t.Fatalf("adds lost: %d %d", b.GetInt64Volatile(0), b.GetInt32Volatile(8))
	}
	if prev := b.GetAndAddInt64(0, 10); prev != 6+goroutines*each {
		t.Fatalf("previous value %d", prev)
	}
	if AlignInt(13, 8) != 16 || AlignInt(16, 8) != 16 || !IsPowerOfTwo(64) || IsPowerOfTwo(0) || IsPowerOfTwo(12) {
		t.Fatal("arithmetic")
	}
}

func TestMisalignedBufferRejected(t *testing.T) {
	b := NewAtomicBuffer(make([]byte, 32)).Slice(1, 16)
	if b.CheckAlignment() == nil {
		t.Fatal("misaligned buffer accepted")
	}
}

func TestAccessorsDoNotAllocate(t *testing.T) {
	b := NewAtomicBuffer(make([]byte, 64))
	src := []byte("payload")
	dst := make([]byte, len(src))
	if n := testing.AllocsPerRun(1000, func() {
		b.PutInt32(0, 1)
		b.PutInt64Ordered(8, b.GetInt64(8)+1)
		b.CompareAndSetInt64(16, 0, 0)
		b.GetAndAddInt32(24, 1)
		b.PutBytes(32, src)
		b.GetBytes(32, dst)
		_ = b.GetInt32Volatile(0) + int32(b.GetInt16(40))
	}); n != 0 {
		t.Fatalf("%v allocations per run", n)
	}
}

func TestMapFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.dat")
	m, err := MapFile(path, 8192, true)
	if err != nil {
		t.Fatal(err)
	}
	if m.Length() != 8192 || m.Path() != path {
		t.Fatalf("length %d", m.Length())
	}
	m.Buffer().PutInt64Ordered(4096, 99)
	if _, err := MapFile(path, 8192, true); err == nil {
		t.Fatal("created over an existing file")
	}
	if _, err := MapFile(path, 16384, false); err == nil {
		t.Fatal("mapped a file shorter than asked")
	}
	other, err := MapExisting(path)
	if err != nil {
		t.Fatal(err)
	}
	// Both mappings share the pages.
	if other.Buffer().GetInt64Volatile(4096) != 99 {
		t.Fatal("second mapping does not see the first's write")
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	if _, err := MapExisting(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("mapped a missing file")
	}
	if _, err := MapFile(filepath.Join(t.TempDir(), "zero"), 0, true); err == nil {
		t.Fatal("mapped zero bytes")
	}
}
