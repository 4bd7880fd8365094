// Package xsk holds the AF_XDP sockets the xdp backend uses: a UMEM of
// fixed-size frames, the fill, completion, RX and TX rings mapped from the
// kernel, and an O(1) stack of free frame addresses.
//
// The rings are single-producer single-consumer queues shared with the
// kernel; their producer and consumer indexes are read with atomic loads
// (acquire) and published with atomic stores (release), and each side keeps
// a cached copy of the other's index so that it touches the shared cache
// line only when the cached view runs out. Sockets bind with
// XDP_USE_NEED_WAKEUP, so a system call is made only when the kernel sets
// the ring's need-wakeup flag. Zero-copy binding is tried first and copy
// mode is the fallback (Socket.ZeroCopy says which).
//
// The ring code is our own rather than github.com/asavie/xdp's: v0.3.3
// publishes ring indexes without atomics or barriers, has no need_wakeup
// support, scans every frame to find free ones, and panics on an unexpected
// sendto error.
package xsk
