package xsk

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Desc is an RX or TX descriptor (linux/if_xdp.h, struct xdp_desc): the
// frame's address in the UMEM and the packet length.
type Desc struct {
	Addr    uint64
	Len     uint32
	Options uint32
}

// Config sizes a socket. Ring sizes and NumFrames must be powers of two.
type Config struct {
	NumFrames    int
	FrameSize    int
	FillRingSize int
	CompRingSize int
	RxRingSize   int
	TxRingSize   int
	// CopyOnly skips the zero-copy attempt.
	CopyOnly bool
}

// DefaultConfig holds 4096 frames of 2048 bytes: half for receiving, half
// for sending.
func DefaultConfig() Config {
	return Config{NumFrames: 4096, FrameSize: 2048, FillRingSize: 2048, CompRingSize: 2048, RxRingSize: 2048, TxRingSize: 2048}
}

// Stats are the socket's kernel statistics and its wake-up count.
type Stats struct {
	RxDropped, RxInvalid, TxInvalid, RxRingFull, FillRingEmpty, TxRingEmpty uint64
	// Wakeups counts the system calls made because the kernel asked.
	Wakeups uint64
	// WakeupErrors counts failed wake-up calls other than EAGAIN/EBUSY/ENOBUFS.
	WakeupErrors uint64
}

// Socket is one AF_XDP socket bound to one queue of one interface, with its
// own UMEM. It is used by one goroutine for receiving and one for sending.
type Socket struct {
	fd        int
	umem      []byte
	frameSize uint32
	fill      ring
	comp      ring
	rx        ring
	tx        ring
	// freeFrames is a stack of UMEM addresses not owned by the kernel,
	// for transmitting.
	freeFrames []uint64
	// txOutstanding counts frames given to the TX ring not yet completed.
	txOutstanding int
	// ZeroCopy is true when the driver bound in zero-copy mode.
	ZeroCopy bool
	// Queue and Ifindex are where the socket is bound.
	Queue, Ifindex int
	stats          Stats
}

// Open creates a socket bound to queue of ifindex. It tries zero-copy first
// (unless cfg.CopyOnly) and falls back to copy mode; everything built so far
// is released when a step fails.
func Open(ifindex, queue int, cfg Config) (s *Socket, err error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create AF_XDP socket: %w", err)
	}
	s = &Socket{fd: fd, frameSize: uint32(cfg.FrameSize), Queue: queue, Ifindex: ifindex}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	s.umem, err = unix.Mmap(-1, 0, cfg.NumFrames*cfg.FrameSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("map UMEM of %d frames: %w", cfg.NumFrames, err)
	}
	reg := unix.XDPUmemReg{Addr: uint64(uintptr(unsafe.Pointer(&s.umem[0]))), Len: uint64(len(s.umem)), Size: uint32(cfg.FrameSize)}
	if err := setsockopt(fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
		// Kernels before 6.8 know only the 24-byte layout without
		// tx_metadata_len.
		if err2 := setsockopt(fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), 24); err2 != nil {
			return nil, fmt.Errorf("register UMEM: %w", err)
		}
	}
	for _, o := range []struct {
		opt, size int
		name      string
	}{
		{unix.XDP_UMEM_FILL_RING, cfg.FillRingSize, "fill"},
		{unix.XDP_UMEM_COMPLETION_RING, cfg.CompRingSize, "completion"},
		{unix.XDP_RX_RING, cfg.RxRingSize, "rx"},
		{unix.XDP_TX_RING, cfg.TxRingSize, "tx"},
	} {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, o.opt, o.size); err != nil {
			return nil, fmt.Errorf("size %s ring to %d: %w", o.name, o.size, err)
		}
	}
	var off unix.XDPMmapOffsets
	optlen := uint32(unsafe.Sizeof(off))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_XDP, unix.XDP_MMAP_OFFSETS,
		uintptr(unsafe.Pointer(&off)), uintptr(unsafe.Pointer(&optlen)), 0); e != 0 {
		return nil, fmt.Errorf("read ring offsets: %w", e)
	}
	if err := s.mapRing(&s.fill, off.Fr, unix.XDP_UMEM_PGOFF_FILL_RING, cfg.FillRingSize, 8, "fill"); err != nil {
		return nil, err
	}
	if err := s.mapRing(&s.comp, off.Cr, unix.XDP_UMEM_PGOFF_COMPLETION_RING, cfg.CompRingSize, 8, "completion"); err != nil {
		return nil, err
	}
	if err := s.mapRing(&s.rx, off.Rx, unix.XDP_PGOFF_RX_RING, cfg.RxRingSize, int(unsafe.Sizeof(Desc{})), "rx"); err != nil {
		return nil, err
	}
	if err := s.mapRing(&s.tx, off.Tx, unix.XDP_PGOFF_TX_RING, cfg.TxRingSize, int(unsafe.Sizeof(Desc{})), "tx"); err != nil {
		return nil, err
	}
	s.fill.initProducer()
	s.tx.initProducer()
	s.comp.initConsumer()
	s.rx.initConsumer()

	// The first half of the frames receive (lent to the kernel through
	// the fill ring), the second half transmit.
	half := cfg.NumFrames / 2
	if half > cfg.FillRingSize {
		half = cfg.FillRingSize
	}
	n := s.fill.free(uint32(half))
	for i := uint32(0); i < n && int(i) < half; i++ {
		*s.fill.addr(s.fill.local + i) = uint64(i) * uint64(cfg.FrameSize)
	}
	s.fill.submit(uint32(half))
	s.freeFrames = make([]uint64, 0, cfg.NumFrames-half)
	for i := cfg.NumFrames - 1; i >= half; i-- {
		s.freeFrames = append(s.freeFrames, uint64(i)*uint64(cfg.FrameSize))
	}

	sa := &unix.SockaddrXDP{Flags: unix.XDP_ZEROCOPY | unix.XDP_USE_NEED_WAKEUP, Ifindex: uint32(ifindex), QueueID: uint32(queue)}
	zcErr := errors.New("not tried")
	if !cfg.CopyOnly {
		zcErr = unix.Bind(fd, sa)
	}
	if zcErr == nil {
		s.ZeroCopy = true
		return s, nil
	}
	sa.Flags = unix.XDP_COPY | unix.XDP_USE_NEED_WAKEUP
	if err := unix.Bind(fd, sa); err != nil {
		return nil, fmt.Errorf("bind AF_XDP socket to ifindex %d queue %d (zero-copy: %v; copy): %w", ifindex, queue, zcErr, err)
	}
	return s, nil
}

func (c Config) check() error {
	pow2 := func(v int) bool { return v > 0 && v&(v-1) == 0 }
	if !pow2(c.NumFrames) || !pow2(c.FillRingSize) || !pow2(c.CompRingSize) || !pow2(c.RxRingSize) || !pow2(c.TxRingSize) {
		return fmt.Errorf("xsk config %+v: frame count and ring sizes must be powers of two", c)
	}
	if c.FrameSize != 2048 && c.FrameSize != 4096 {
		return fmt.Errorf("xsk config: frame size %d must be 2048 or 4096 (aligned chunks)", c.FrameSize)
	}
	return nil
}

func setsockopt(fd, opt int, p unsafe.Pointer, size uintptr) error {
	if _, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), size, 0); e != 0 {
		return e
	}
	return nil
}

func (s *Socket) mapRing(r *ring, off unix.XDPRingOffset, pgoff int64, size, descSize int, name string) error {
	mem, err := unix.Mmap(s.fd, pgoff, int(off.Desc)+size*descSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map %s ring: %w", name, err)
	}
	r.init(mem, ringOffsets(off), uint32(size))
	return nil
}

// FD is the socket's descriptor, for the XSKMAP.
func (s *Socket) FD() int { return s.fd }

// Frame returns the UMEM bytes of the frame at addr, len bytes long.
func (s *Socket) Frame(addr uint64, length int) []byte {
	return s.umem[addr : addr+uint64(length) : addr+uint64(s.frameSize)]
}

// FrameSize is the size of every UMEM frame.
func (s *Socket) FrameSize() int { return int(s.frameSize) }

// Receive fills descs with up to len(descs) received packets and returns
// how many. Their frames belong to the caller until Recycle.
func (s *Socket) Receive(descs []Desc) int {
	n := s.rx.available()
	if n == 0 {
		s.wakeFillIfNeeded()
		return 0
	}
	if n > uint32(len(descs)) {
		n = uint32(len(descs))
	}
	for i := uint32(0); i < n; i++ {
		descs[i] = *s.rx.desc(s.rx.local + i)
	}
	s.rx.release(n)
	return int(n)
}

// Recycle gives received frames back to the kernel through the fill ring.
// The fill ring is at least as large as the receive half of the UMEM, so
// there is always room.
func (s *Socket) Recycle(descs []Desc) {
	n := s.fill.free(uint32(len(descs)))
	if n > uint32(len(descs)) {
		n = uint32(len(descs))
	}
	for i := uint32(0); i < n; i++ {
		// Copy mode may hand back an address with an offset inside the
		// frame; the fill ring wants the frame's start.
		*s.fill.addr(s.fill.local + i) = descs[i].Addr &^ uint64(s.frameSize-1)
	}
	s.fill.submit(n)
}

// wakeFillIfNeeded kicks the kernel when it stopped for an empty fill ring.
func (s *Socket) wakeFillIfNeeded() {
	if s.fill.needWakeup() {
		s.stats.Wakeups++
		_, _, err := unix.Recvfrom(s.fd, nil, unix.MSG_DONTWAIT)
		if err != nil && err != unix.EAGAIN && err != unix.EBUSY && err != unix.ENOBUFS {
			s.stats.WakeupErrors++
		}
	}
}

// AllocFrame takes a free frame for transmitting; ok is false when every
// frame is in flight (reap completions with Complete).
func (s *Socket) AllocFrame() (addr uint64, ok bool) {
	n := len(s.freeFrames)
	if n == 0 {
		s.Complete()
		n = len(s.freeFrames)
		if n == 0 {
			return 0, false
		}
	}
	addr = s.freeFrames[n-1]
	s.freeFrames = s.freeFrames[:n-1]
	return addr, true
}

// FreeFrame returns an allocated frame that was not transmitted.
func (s *Socket) FreeFrame(addr uint64) { s.freeFrames = append(s.freeFrames, addr) }

// Transmit puts descs on the TX ring and wakes the kernel if it asks; it
// returns how many were queued (fewer when the ring is full).
func (s *Socket) Transmit(descs []Desc) int {
	n := s.tx.free(uint32(len(descs)))
	if n > uint32(len(descs)) {
		n = uint32(len(descs))
	}
	for i := uint32(0); i < n; i++ {
		*s.tx.desc(s.tx.local + i) = descs[i]
	}
	if n > 0 {
		s.tx.submit(n)
		s.txOutstanding += int(n)
	}
	// Copy mode transmits only inside sendto, and the kernel does not
	// reliably raise the TX need-wakeup flag there (it tracks the first
	// wake-up internally), so copy mode always kicks after submitting;
	// zero-copy kicks only when the driver asks.
	if s.txOutstanding > 0 && ((n > 0 && !s.ZeroCopy) || s.tx.needWakeup()) {
		s.kick()
	}
	s.Complete()
	return int(n)
}

// kick asks the kernel to transmit what the TX ring holds.
func (s *Socket) kick() {
	s.stats.Wakeups++
	err := unix.Sendto(s.fd, nil, unix.MSG_DONTWAIT, nil)
	if err != nil && err != unix.EAGAIN && err != unix.EBUSY && err != unix.ENOBUFS && err != unix.ENETDOWN {
		s.stats.WakeupErrors++
	}
}

// Complete reaps the completion ring, returning sent frames to the free
// stack, and returns how many. In copy mode a sendto that met a busy
// device leaves descriptors on the TX ring, so Complete kicks again while
// the kernel has not consumed everything.
func (s *Socket) Complete() int {
	if !s.ZeroCopy && s.txOutstanding > 0 && s.tx.local != atomic.LoadUint32(s.tx.consumer) {
		s.kick()
	}
	n := s.comp.available()
	for i := uint32(0); i < n; i++ {
		s.freeFrames = append(s.freeFrames, *s.comp.addr(s.comp.local + i))
	}
	if n > 0 {
		s.comp.release(n)
		s.txOutstanding -= int(n)
	}
	return int(n)
}

// Outstanding is the number of transmitted frames not yet completed.
func (s *Socket) Outstanding() int { return s.txOutstanding }

// Stats reads the kernel's XDP_STATISTICS for the socket.
func (s *Socket) Stats() (Stats, error) {
	var ks unix.XDPStatistics
	optlen := uint32(unsafe.Sizeof(ks))
	if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_XDP, unix.XDP_STATISTICS,
		uintptr(unsafe.Pointer(&ks)), uintptr(unsafe.Pointer(&optlen)), 0); e != 0 {
		return s.stats, fmt.Errorf("read AF_XDP statistics: %w", e)
	}
	st := s.stats
	st.RxDropped, st.RxInvalid, st.TxInvalid = ks.Rx_dropped, ks.Rx_invalid_descs, ks.Tx_invalid_descs
	st.RxRingFull, st.FillRingEmpty, st.TxRingEmpty = ks.Rx_ring_full, ks.Rx_fill_ring_empty_descs, ks.Tx_ring_empty_descs
	return st, nil
}

// Close unmaps the rings and the UMEM and closes the socket; it undoes a
// partly built socket too.
func (s *Socket) Close() error {
	for _, r := range []*ring{&s.fill, &s.comp, &s.rx, &s.tx} {
		if r.mem != nil {
			_ = unix.Munmap(r.mem)
			r.mem = nil
		}
	}
	var err error
	if s.fd >= 0 {
		err = unix.Close(s.fd)
		s.fd = -1
	}
	if s.umem != nil {
		_ = unix.Munmap(s.umem)
		s.umem = nil
	}
	if err != nil {
		return fmt.Errorf("close AF_XDP socket: %w", err)
	}
	return nil
}
