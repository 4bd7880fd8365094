package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the registry name of this backend.
const Name = "udp"

// DefaultBatchSize is the batch the backend prefers: large enough to amortise
// the system call, small enough to keep per-transport buffers modest.
const DefaultBatchSize = 64

// maxDatagram is the largest UDP payload Aeron sends.
const maxDatagram = 65504

func init() {
	backend.Register(backend.Factory{
		Name: Name,
		Rank: 100,
		Probe: func(o backend.Options) backend.ProbeResult {
			return backend.ProbeResult{
				Available: true,
				Reason:    fmt.Sprintf("kernel UDP sockets with recvmmsg/sendmmsg batches of %d", batchSize(o)),
				Interface: o.Interface,
				Mode:      "kernel",
			}
		},
		New: func(o backend.Options) (backend.Backend, error) { return New(o), nil },
	})
}

func batchSize(o backend.Options) int {
	if o.BatchSize > 0 {
		return o.BatchSize
	}
	return DefaultBatchSize
}

// Backend is the kernel UDP backend.
type Backend struct {
	opts  backend.Options
	batch int

	mu         sync.Mutex
	transports map[*Transport]struct{}
	closed     bool

	stats stats
}

type stats struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut, drops, errors atomic.Uint64
}

// New returns a kernel UDP backend.
func New(o backend.Options) *Backend {
	return &Backend{opts: o, batch: batchSize(o), transports: map[*Transport]struct{}{}}
}

// Name implements backend.Backend.
func (b *Backend) Name() string { return Name }

// BatchSize implements backend.Backend.
func (b *Backend) BatchSize() int { return b.batch }

// Stats implements backend.Backend.
func (b *Backend) Stats() backend.Stats {
	return backend.Stats{
		DatagramsIn: b.stats.datagramsIn.Load(), BytesIn: b.stats.bytesIn.Load(),
		DatagramsOut: b.stats.datagramsOut.Load(), BytesOut: b.stats.bytesOut.Load(),
		Drops: b.stats.drops.Load(), Errors: b.stats.errors.Load(),
	}
}

// Close closes every transport.
func (b *Backend) Close() error {
	b.mu.Lock()
	b.closed = true
	ts := make([]*Transport, 0, len(b.transports))
	for t := range b.transports {
		ts = append(ts, t)
	}
	b.mu.Unlock()
	var errs []error
	for _, t := range ts {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}

// Open implements backend.Backend.
func (b *Backend) Open(spec backend.Spec) (backend.Transport, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, backend.ErrClosed
	}
	if spec.SocketRcvBuf == 0 {
		spec.SocketRcvBuf = b.opts.SocketRcvBuf
	}
	if spec.SocketSndBuf == 0 {
		spec.SocketSndBuf = b.opts.SocketSndBuf
	}
	t, err := open(spec, b.batch, &b.stats)
	if err != nil {
		return nil, fmt.Errorf("udp open %s: %w", spec.Local, err)
	}
	t.owner = b
	b.mu.Lock()
	b.transports[t] = struct{}{}
	b.mu.Unlock()
	return t, nil
}

func (b *Backend) forget(t *Transport) {
	b.mu.Lock()
	delete(b.transports, t)
	b.mu.Unlock()
}

// Transport is one UDP socket.
type Transport struct {
	owner *Backend
	stats *stats

	// mu guards fd against Close while a batch is in flight; Receive and
	// Send take it shared, so they never wait on each other.
	mu     sync.RWMutex
	fd     int
	closed bool

	local     netip.AddrPort
	peer      netip.AddrPort
	connected bool
	v6        bool
	rcvBuf    int
	sndBuf    int

	// Receive side: buffers lent to the caller until the next Receive.
	rxHdrs  []unix.Mmsghdr
	rxIovs  []unix.Iovec
	rxNames []unix.RawSockaddrInet6
	rxBufs  [][]byte

	// Send side: the caller's buffers are referenced only during Send.
	txHdrs  []unix.Mmsghdr
	txIovs  []unix.Iovec
	txNames []unix.RawSockaddrInet6
	empty   [1]byte
}

func open(spec backend.Spec, batch int, st *stats) (t *Transport, err error) {
	if !spec.Local.IsValid() {
		return nil, errors.New("no local address")
	}
	local := spec.Local.Addr().Unmap()
	v6 := local.Is6()
	family := unix.AF_INET
	if v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	defer func() {
		if err != nil {
			unix.Close(fd)
		}
	}()
	multicast := local.IsMulticast()
	if multicast {
		// Several receivers on one host share a group and port, as
		// aeron_udp_channel_transport_init sets both options.
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return nil, fmt.Errorf("SO_REUSEADDR: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return nil, fmt.Errorf("SO_REUSEPORT: %w", err)
		}
	}
	if spec.SocketRcvBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, spec.SocketRcvBuf); err != nil {
			return nil, fmt.Errorf("SO_RCVBUF %d: %w", spec.SocketRcvBuf, err)
		}
	}
	if spec.SocketSndBuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, spec.SocketSndBuf); err != nil {
			return nil, fmt.Errorf("SO_SNDBUF %d: %w", spec.SocketSndBuf, err)
		}
	}
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(local, spec.Local.Port()))); err != nil {
		return nil, fmt.Errorf("bind %s: %w", spec.Local, err)
	}
	if multicast {
		if err := joinMulticast(fd, local, spec); err != nil {
			return nil, err
		}
	}
	t = &Transport{fd: fd, stats: st, v6: v6}
	if sa, err := unix.Getsockname(fd); err == nil {
		t.local = addrPortOf(sa)
	}
	if spec.Connect.IsValid() {
		t.peer = netip.AddrPortFrom(spec.Connect.Addr().Unmap(), spec.Connect.Port())
		if err := unix.Connect(fd, sockaddr(t.peer)); err != nil {
			return nil, fmt.Errorf("connect %s: %w", spec.Connect, err)
		}
		t.connected = true
	}
	t.rcvBuf, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
	t.sndBuf, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
	size := spec.MaxDatagram
	if size <= 0 || size > maxDatagram {
		size = maxDatagram
	}
	t.alloc(batch, size)
	return t, nil
}

func joinMulticast(fd int, group netip.Addr, spec backend.Spec) error {
	ifindex := 0
	if spec.Interface.IsValid() {
		idx, err := interfaceIndex(spec.Interface)
		if err != nil {
			return err
		}
		ifindex = idx
	}
	if group.Is4() {
		mreq := &unix.IPMreqn{Multiaddr: group.As4(), Ifindex: int32(ifindex)}
		if spec.Interface.IsValid() && spec.Interface.Is4() {
			mreq.Address = spec.Interface.As4()
		}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return fmt.Errorf("join %s on %v: %w", group, spec.Interface, err)
		}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq); err != nil {
			return fmt.Errorf("IP_MULTICAST_IF %v: %w", spec.Interface, err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 1); err != nil {
			return fmt.Errorf("IP_MULTICAST_LOOP: %w", err)
		}
		if spec.MulticastTTL > 0 {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, spec.MulticastTTL); err != nil {
				return fmt.Errorf("IP_MULTICAST_TTL %d: %w", spec.MulticastTTL, err)
			}
		}
		return nil
	}
	mreq := &unix.IPv6Mreq{Multiaddr: group.As16(), Interface: uint32(ifindex)}
	if err := unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq); err != nil {
		return fmt.Errorf("join %s: %w", group, err)
	}
	if ifindex > 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifindex); err != nil {
			return fmt.Errorf("IPV6_MULTICAST_IF: %w", err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 1); err != nil {
		return fmt.Errorf("IPV6_MULTICAST_LOOP: %w", err)
	}
	if spec.MulticastTTL > 0 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, spec.MulticastTTL); err != nil {
			return fmt.Errorf("IPV6_MULTICAST_HOPS: %w", err)
		}
	}
	return nil
}

// interfaceIndex finds the interface that holds addr.
func interfaceIndex(addr netip.Addr) (int, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return 0, fmt.Errorf("list interfaces: %w", err)
	}
	for _, ifc := range ifs {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr() == addr {
				return ifc.Index, nil
			}
		}
	}
	return 0, fmt.Errorf("no interface has address %s", addr)
}

func (t *Transport) alloc(batch, size int) {
	t.rxHdrs = make([]unix.Mmsghdr, batch)
	t.rxIovs = make([]unix.Iovec, batch)
	t.rxNames = make([]unix.RawSockaddrInet6, batch)
	t.rxBufs = make([][]byte, batch)
	t.txHdrs = make([]unix.Mmsghdr, batch)
	t.txIovs = make([]unix.Iovec, batch)
	t.txNames = make([]unix.RawSockaddrInet6, batch)
	for i := range batch {
		t.rxBufs[i] = make([]byte, size)
		t.rxIovs[i].Base = &t.rxBufs[i][0]
		t.rxIovs[i].SetLen(size)
		h := &t.rxHdrs[i].Hdr
		h.Iov = &t.rxIovs[i]
		h.SetIovlen(1)
		h.Name = (*byte)(unsafe.Pointer(&t.rxNames[i]))
		t.txHdrs[i].Hdr.Iov = &t.txIovs[i]
		t.txHdrs[i].Hdr.SetIovlen(1)
	}
}

// LocalAddr implements backend.Transport.
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// SocketBuffers reports the kernel's socket buffer sizes (the kernel doubles
// what was asked and clamps it to net.core.[rw]mem_max).
func (t *Transport) SocketBuffers() (rcv, snd int) { return t.rcvBuf, t.sndBuf }

// Receive implements backend.Transport.
func (t *Transport) Receive(msgs []backend.Message) (int, error) {
	n := min(len(msgs), len(t.rxHdrs))
	if n == 0 {
		return 0, nil
	}
	for i := range n {
		t.rxHdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		t.rxHdrs[i].Hdr.Flags = 0
		t.rxHdrs[i].Len = 0
	}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return 0, backend.ErrClosed
	}
	r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(t.fd), uintptr(unsafe.Pointer(&t.rxHdrs[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
	t.mu.RUnlock()
	if errno != 0 {
		switch errno {
		case unix.EAGAIN, unix.EINTR:
			return 0, nil
		case unix.ECONNREFUSED:
			// An ICMP port unreachable for an earlier send on a
			// connected socket: the peer is not there yet.
			t.stats.errors.Add(1)
			return 0, nil
		}
		t.stats.errors.Add(1)
		return 0, fmt.Errorf("recvmmsg: %w", errno)
	}
	got, bytes := 0, 0
	for i := range int(r) {
		h := &t.rxHdrs[i]
		if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
			// Larger than the MTU we were opened for: not ours to
			// deliver half of.
			t.stats.drops.Add(1)
			continue
		}
		msgs[got].Buf = t.rxBufs[i][:h.Len]
		msgs[got].Addr = addrPortOfRaw(&t.rxNames[i])
		bytes += int(h.Len)
		got++
	}
	t.stats.datagramsIn.Add(uint64(got))
	t.stats.bytesIn.Add(uint64(bytes))
	return got, nil
}

// Send implements backend.Transport.
func (t *Transport) Send(msgs []backend.Message) (int, error) {
	sent := 0
	for sent < len(msgs) {
		n, err := t.sendBatch(msgs[sent:])
		sent += n
		if err != nil || n == 0 {
			return sent, err
		}
	}
	return sent, nil
}

func (t *Transport) sendBatch(msgs []backend.Message) (int, error) {
	n := min(len(msgs), len(t.txHdrs))
	for i := range n {
		m := &msgs[i]
		h := &t.txHdrs[i].Hdr
		if len(m.Buf) > 0 {
			t.txIovs[i].Base = &m.Buf[0]
		} else {
			t.txIovs[i].Base = &t.empty[0]
		}
		t.txIovs[i].SetLen(len(m.Buf))
		if !m.Addr.IsValid() || (t.connected && m.Addr == t.peer) {
			h.Name, h.Namelen = nil, 0
		} else {
			h.Name = (*byte)(unsafe.Pointer(&t.txNames[i]))
			h.Namelen = putRaw(&t.txNames[i], m.Addr, t.v6)
		}
	}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return 0, backend.ErrClosed
	}
	r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(t.fd), uintptr(unsafe.Pointer(&t.txHdrs[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
	t.mu.RUnlock()
	// Drop the references to the caller's buffers.
	for i := range n {
		t.txIovs[i].Base = nil
	}
	if errno != 0 {
		switch errno {
		case unix.EAGAIN, unix.ENOBUFS, unix.EINTR:
			// A short send: the caller keeps the rest and retries.
			return 0, nil
		case unix.ECONNREFUSED, unix.EHOSTUNREACH, unix.ENETUNREACH, unix.EPERM:
			// The first datagram cannot go; count it as lost so the
			// batch behind it is not stuck (Aeron ignores these too).
			t.stats.errors.Add(1)
			t.stats.drops.Add(1)
			return 1, nil
		}
		t.stats.errors.Add(1)
		return 0, fmt.Errorf("sendmmsg: %w", errno)
	}
	bytes := 0
	for i := range int(r) {
		bytes += len(msgs[i].Buf)
	}
	t.stats.datagramsOut.Add(uint64(r))
	t.stats.bytesOut.Add(uint64(bytes))
	return int(r), nil
}

// Close implements backend.Transport.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	err := unix.Close(t.fd)
	t.mu.Unlock()
	if t.owner != nil {
		t.owner.forget(t)
	}
	if err != nil {
		return fmt.Errorf("close udp %s: %w", t.local, err)
	}
	return nil
}

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	a := ap.Addr().Unmap()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
}

func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(s.Addr), uint16(s.Port))
	}
	return netip.AddrPort{}
}

// addrPortOfRaw reads a sockaddr_in or sockaddr_in6 the kernel wrote.
func addrPortOfRaw(raw *unix.RawSockaddrInet6) netip.AddrPort {
	port := uint16(raw.Port>>8) | uint16(raw.Port<<8)
	if raw.Family == unix.AF_INET {
		in4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		return netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16(raw.Addr).Unmap(), port)
}

// putRaw writes ap as the socket family's sockaddr and returns its length.
func putRaw(raw *unix.RawSockaddrInet6, ap netip.AddrPort, v6 bool) uint32 {
	port := ap.Port()
	nport := port>>8 | port<<8
	a := ap.Addr()
	if !v6 {
		in4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		*in4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: nport, Addr: a.Unmap().As4()}
		return unix.SizeofSockaddrInet4
	}
	*raw = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: nport, Addr: a.As16()}
	return unix.SizeofSockaddrInet6
}
