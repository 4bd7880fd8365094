package shm

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// AtomicBuffer is a view of shared memory. It is a small value: copies
// refer to the same memory.
type AtomicBuffer struct {
	b []byte
}

// NewAtomicBuffer wraps b.
func NewAtomicBuffer(b []byte) AtomicBuffer { return AtomicBuffer{b: b} }

// Capacity is the length of the view in bytes.
func (a AtomicBuffer) Capacity() int { return len(a.b) }

// Bytes is the underlying memory.
func (a AtomicBuffer) Bytes() []byte { return a.b }

// Slice returns the view [off, off+length). It panics on a bad range, which
// is a layout bug, never input.
func (a AtomicBuffer) Slice(off, length int) AtomicBuffer {
	return AtomicBuffer{b: a.b[off : off+length : off+length]}
}

// Valid reports whether [off, off+length) lies inside the buffer, for code
// that must check offsets read from shared memory before using them.
func (a AtomicBuffer) Valid(off, length int) bool {
	return off >= 0 && length >= 0 && off <= len(a.b)-length
}

// p32 and p64 bound-check by slicing, which reads no memory (a plain read
// here would race with other processes' atomic writes).
func (a AtomicBuffer) p32(off int) *int32 {
	return (*int32)(unsafe.Pointer(unsafe.SliceData(a.b[off : off+4])))
}

func (a AtomicBuffer) p64(off int) *int64 {
	return (*int64)(unsafe.Pointer(unsafe.SliceData(a.b[off : off+8])))
}

// GetUint8 and the other plain accessors read and write without ordering.
func (a AtomicBuffer) GetUint8(off int) uint8       { return a.b[off] }
func (a AtomicBuffer) PutUint8(off int, v uint8)    { a.b[off] = v }
func (a AtomicBuffer) GetInt16(off int) int16       { return int16(binary.LittleEndian.Uint16(a.b[off:])) }
func (a AtomicBuffer) PutInt16(off int, v int16)    { binary.LittleEndian.PutUint16(a.b[off:], uint16(v)) }
func (a AtomicBuffer) GetInt32(off int) int32       { return int32(binary.LittleEndian.Uint32(a.b[off:])) }
func (a AtomicBuffer) PutInt32(off int, v int32)    { binary.LittleEndian.PutUint32(a.b[off:], uint32(v)) }
func (a AtomicBuffer) GetInt64(off int) int64       { return int64(binary.LittleEndian.Uint64(a.b[off:])) }
func (a AtomicBuffer) PutInt64(off int, v int64)    { binary.LittleEndian.PutUint64(a.b[off:], uint64(v)) }
func (a AtomicBuffer) GetBytes(off int, dst []byte) { copy(dst, a.b[off:off+len(dst)]) }
func (a AtomicBuffer) PutBytes(off int, src []byte) { copy(a.b[off:off+len(src)], src) }

// SetMemory fills [off, off+length) with v.
func (a AtomicBuffer) SetMemory(off, length int, v byte) {
	s := a.b[off : off+length]
	if v == 0 {
		clear(s)
		return
	}
	for i := range s {
		s[i] = v
	}
}

// GetInt32Volatile loads with acquire (here: sequentially consistent) order.
func (a AtomicBuffer) GetInt32Volatile(off int) int32 { return atomic.LoadInt32(a.p32(off)) }

// PutInt32Ordered stores with release order.
func (a AtomicBuffer) PutInt32Ordered(off int, v int32) { atomic.StoreInt32(a.p32(off), v) }

// GetInt64Volatile loads with acquire order.
func (a AtomicBuffer) GetInt64Volatile(off int) int64 { return atomic.LoadInt64(a.p64(off)) }

// PutInt64Ordered stores with release order.
func (a AtomicBuffer) PutInt64Ordered(off int, v int64) { atomic.StoreInt64(a.p64(off), v) }

// CompareAndSetInt32 is an atomic compare-and-swap.
func (a AtomicBuffer) CompareAndSetInt32(off int, expected, v int32) bool {
	return atomic.CompareAndSwapInt32(a.p32(off), expected, v)
}

// CompareAndSetInt64 is an atomic compare-and-swap.
func (a AtomicBuffer) CompareAndSetInt64(off int, expected, v int64) bool {
	return atomic.CompareAndSwapInt64(a.p64(off), expected, v)
}

// GetAndAddInt32 adds delta and returns the previous value.
func (a AtomicBuffer) GetAndAddInt32(off int, delta int32) int32 {
	return atomic.AddInt32(a.p32(off), delta) - delta
}

// GetAndAddInt64 adds delta and returns the previous value.
func (a AtomicBuffer) GetAndAddInt64(off int, delta int64) int64 {
	return atomic.AddInt64(a.p64(off), delta) - delta
}

// GetAndSetInt64 atomically swaps in v and returns the previous value. As a
// read-modify-write it is also a full fence: later plain stores cannot
// become visible before it, on arm64 as on amd64, which a seqlock writer
// needs after announcing its intent (BroadcastTransmitter's storeStoreFence).
func (a AtomicBuffer) GetAndSetInt64(off int, v int64) int64 {
	return atomic.SwapInt64(a.p64(off), v)
}

// CheckAlignment verifies that the buffer starts 8-byte aligned, so the
// atomic accessors of a layout with aligned fields are safe.
func (a AtomicBuffer) CheckAlignment() error {
	if len(a.b) > 0 && uintptr(unsafe.Pointer(&a.b[0]))%8 != 0 {
		return fmt.Errorf("buffer at %p is not 8-byte aligned", &a.b[0])
	}
	return nil
}

// AlignInt rounds v up to a multiple of alignment, a power of two.
func AlignInt(v, alignment int) int { return (v + alignment - 1) &^ (alignment - 1) }

// IsPowerOfTwo reports whether v is a positive power of two.
func IsPowerOfTwo(v int) bool { return v > 0 && v&(v-1) == 0 }
