// Package xsk will hold the AF_XDP sockets the xdp backend uses: UMEM, fill,
// completion, RX and TX rings with atomic producer and consumer indexes,
// need_wakeup, and zero-copy binding with a copy-mode fallback.
package xsk
