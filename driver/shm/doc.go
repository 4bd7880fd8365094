// Package shm gives atomic and plain little-endian access to memory that
// other processes share, usually a memory-mapped file, and maps such files.
//
// It is one of the few places in the project that uses unsafe: every other
// package reaches shared memory through an AtomicBuffer. Ordered and
// volatile accessors use sync/atomic, which is sequentially consistent and
// so satisfies every release/acquire pairing Aeron's C and Java code rely on
// (aeron_atomic.h). Where Aeron needs a bare fence (a seqlock writer's
// store-store fence), a read-modify-write such as GetAndSetInt64 gives it,
// since it is a full barrier on amd64 and arm64. Atomic fields must sit at their natural alignment within
// a mapping, which Aeron's layouts guarantee; plain accessors take any
// offset.
package shm
