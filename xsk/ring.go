package xsk

import (
	"sync/atomic"
	"unsafe"
)

// ring is the shared part of one AF_XDP ring (linux/if_xdp.h, struct
// xdp_ring_offset): producer, consumer and flags words and the descriptor
// array, mapped from the socket.
type ring struct {
	producer *uint32
	consumer *uint32
	flags    *uint32
	descs    unsafe.Pointer
	mask     uint32
	size     uint32
	// cached is the other side's index as last read: the consumer index
	// plus size for a producer ring, the producer index for a consumer
	// ring.
	cached uint32
	// local is our own index, published with a release store.
	local uint32
	mem   []byte
}

func (r *ring) init(mem []byte, off ringOffsets, size uint32) {
	base := unsafe.Pointer(&mem[0])
	r.mem = mem
	r.producer = (*uint32)(unsafe.Add(base, off.Producer))
	r.consumer = (*uint32)(unsafe.Add(base, off.Consumer))
	r.flags = (*uint32)(unsafe.Add(base, off.Flags))
	r.descs = unsafe.Add(base, off.Desc)
	r.mask = size - 1
	r.size = size
}

// ringOffsets mirrors unix.XDPRingOffset.
type ringOffsets struct {
	Producer, Consumer, Desc, Flags uint64
}

// needWakeup reports whether the kernel asked for a system call to process
// this ring (XDP_RING_NEED_WAKEUP).
func (r *ring) needWakeup() bool { return atomic.LoadUint32(r.flags)&1 != 0 }

// Producer side (fill and TX rings).

func (r *ring) initProducer() {
	r.local = atomic.LoadUint32(r.producer)
	r.cached = atomic.LoadUint32(r.consumer) + r.size
}

// free returns how many slots can be produced, at least want if possible,
// re-reading the consumer index only when the cache says fewer than want.
func (r *ring) free(want uint32) uint32 {
	n := r.cached - r.local
	if n >= want {
		return n
	}
	r.cached = atomic.LoadUint32(r.consumer) + r.size
	return r.cached - r.local
}

// submit publishes n produced slots; the atomic store orders the
// descriptor writes before the index the kernel reads.
func (r *ring) submit(n uint32) {
	r.local += n
	atomic.StoreUint32(r.producer, r.local)
}

// Consumer side (completion and RX rings).

func (r *ring) initConsumer() {
	r.local = atomic.LoadUint32(r.consumer)
	r.cached = atomic.LoadUint32(r.producer)
}

// available returns how many slots can be consumed, re-reading the
// producer index (acquire) only when the cached view is empty.
func (r *ring) available() uint32 {
	n := r.cached - r.local
	if n == 0 {
		r.cached = atomic.LoadUint32(r.producer)
		n = r.cached - r.local
	}
	return n
}

// release returns n consumed slots to the kernel.
func (r *ring) release(n uint32) {
	r.local += n
	atomic.StoreUint32(r.consumer, r.local)
}

func (r *ring) addr(i uint32) *uint64 {
	return (*uint64)(unsafe.Add(r.descs, uintptr(i&r.mask)*8))
}

func (r *ring) desc(i uint32) *Desc {
	return (*Desc)(unsafe.Add(r.descs, uintptr(i&r.mask)*unsafe.Sizeof(Desc{})))
}
