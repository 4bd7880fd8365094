package xdp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/backend/netdev"
	"github.com/aeron-bypass/aeron-bypass/bpf"
	"github.com/aeron-bypass/aeron-bypass/xsk"
)

const (
	defaultBatch = 32
	// otherRingSlots is how many datagrams a transport holds for itself
	// when another transport's Receive found them first.
	otherRingSlots = 256
	// resolveTimeout bounds a next-hop MAC look-up on a transport's first
	// send to a destination: Linux retries ARP once a second, three times.
	resolveTimeout = 3 * time.Second
	// xdpHeadroom is what the kernel keeps in front of every received
	// frame in a UMEM frame (XDP_PACKET_HEADROOM, linux/bpf.h), so the
	// largest frame received is the UMEM frame size minus this.
	xdpHeadroom = unix.XDP_PACKET_HEADROOM
	// maxUDPPayload is the largest datagram Aeron sends (its
	// MAX_UDP_PAYLOAD_LENGTH), which receive endpoints give as their
	// MaxDatagram.
	maxUDPPayload = 65504
	// kernelPollEvery is how many Receive calls that leave room pass
	// between reads of the endpoint's kernel socket: rare traffic, so
	// rarely a system call in the busy-polling path.
	kernelPollEvery = 64
)

// Backend is the AF_XDP backend on one interface. Make it with New on a
// thread in the interface's network namespace.
type Backend struct {
	opts     backend.Options
	ifc      netdev.Interface
	net      *netdev.Namespace
	setup    *netdev.Setup
	resolver *netdev.Resolver
	addrs    *netdev.AddrWatch
	ns       nsHandle
	prog     *bpf.Program
	link     link.Link
	// Mode and Reason say how the program was attached and why.
	Mode   bpf.Mode
	Reason string

	// rxMu serialises the RX rings and the transports' side rings.
	rxMu  sync.Mutex
	socks []*xsk.Socket
	rxBuf []xsk.Desc
	// txMu serialises the TX ring of socks[0], which every transport
	// sends through.
	txMu  sync.Mutex
	txBuf []xsk.Desc

	mu         sync.Mutex
	transports map[netip.AddrPort]*transport
	// wildcards are the transports bound to 0.0.0.0, whose steered
	// endpoints follow the interface's addresses.
	wildcards map[*transport]struct{}
	// addrList is the interface's IPv4 addresses as last watched.
	addrList []netip.Addr
	closed   bool
	ipID     atomic.Uint32
	stats    struct{ in, bytesIn, out, bytesOut, drops, errors, viaKernel atomic.Uint64 }
}

// New prepares opts.Interface (brings it up, checks its MTU against the
// receive frames and opts.MTU, sets opts.QueueCount queues if asked; Close
// puts back what it changed), attaches the XDP program and binds one
// AF_XDP socket per queue (opts.Queues, or all of the interface's queues).
func New(opts backend.Options) (_ *Backend, err error) {
	if opts.Interface == "" {
		return nil, errors.New("xdp backend: no interface configured (set --interface)")
	}
	b := &Backend{opts: opts, transports: map[netip.AddrPort]*transport{}, wildcards: map[*transport]struct{}{}}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if b.ns, err = currentNS(); err != nil {
		return nil, fmt.Errorf("xdp backend: %w", err)
	}
	if b.net, err = netdev.Open(); err != nil {
		return nil, fmt.Errorf("xdp backend: %w", err)
	}
	cfg := xsk.DefaultConfig()
	b.setup, err = b.net.Prepare(opts.Interface, netdev.SetupOptions{
		MaxFrame: cfg.FrameSize - xdpHeadroom, ChannelMTU: opts.MTU, Queues: opts.QueueCount,
	})
	if err != nil {
		return nil, fmt.Errorf("xdp backend: %w", err)
	}
	b.ifc = b.setup.Interface
	b.addrList = b.ifc.Addrs
	if b.resolver, err = b.net.NewResolver(b.ifc); err != nil {
		return nil, fmt.Errorf("xdp backend on %s: %w", b.ifc.Name, err)
	}
	if b.addrs, err = b.net.WatchAddrs(b.ifc, b.steerAddrs); err != nil {
		return nil, fmt.Errorf("xdp backend on %s: %w", b.ifc.Name, err)
	}
	if b.prog, err = bpf.Load(); err != nil {
		return nil, fmt.Errorf("xdp backend: %w", err)
	}
	if b.link, b.Mode, b.Reason, err = b.prog.Attach(b.ifc.Index, bpf.ModeAuto); err != nil {
		return nil, fmt.Errorf("xdp backend on %s: %w", b.ifc.Name, err)
	}
	queues := opts.Queues
	if len(queues) == 0 {
		for q := 0; q < b.ifc.RxQueues && q < bpf.MaxQueues; q++ {
			queues = append(queues, q)
		}
	}
	for _, q := range queues {
		s, err := xsk.Open(b.ifc.Index, q, cfg)
		if err != nil {
			return nil, fmt.Errorf("xdp backend on %s: %w", b.ifc.Name, err)
		}
		b.socks = append(b.socks, s)
		if err := b.prog.SetSocket(q, s.FD()); err != nil {
			return nil, fmt.Errorf("xdp backend on %s: %w", b.ifc.Name, err)
		}
	}
	b.rxBuf = make([]xsk.Desc, b.BatchSize())
	b.txBuf = make([]xsk.Desc, 0, b.BatchSize())
	zc := len(b.socks) > 0 && b.socks[0].ZeroCopy
	slog.Info("xdp backend attached", "interface", b.ifc.Name, "mode", b.Mode.String(), "fallback", b.Reason,
		"zerocopy", zc, "queues", queues)
	return b, nil
}

// Name is "xdp".
func (b *Backend) Name() string { return Name }

// BatchSize is the preferred number of messages per call.
func (b *Backend) BatchSize() int {
	if b.opts.BatchSize > 0 {
		return b.opts.BatchSize
	}
	return defaultBatch
}

// ZeroCopy reports whether the sockets bound in zero-copy mode.
func (b *Backend) ZeroCopy() bool { return len(b.socks) > 0 && b.socks[0].ZeroCopy }

// XDPStats returns the XDP program's counters.
func (b *Backend) XDPStats() (bpf.Stats, error) { return b.prog.Stats() }

// Endpoints lists the endpoints the XDP program steers to this backend.
func (b *Backend) Endpoints() ([]netip.AddrPort, error) { return b.prog.Endpoints() }

// ViaKernel counts datagrams received through the endpoints' kernel
// sockets rather than AF_XDP: what the program left to Linux, such as IP
// fragments.
func (b *Backend) ViaKernel() uint64 { return b.stats.viaKernel.Load() }

// Stats sums the transports' counters.
func (b *Backend) Stats() backend.Stats {
	return backend.Stats{
		DatagramsIn: b.stats.in.Load(), BytesIn: b.stats.bytesIn.Load(),
		DatagramsOut: b.stats.out.Load(), BytesOut: b.stats.bytesOut.Load(),
		Drops: b.stats.drops.Load(), Errors: b.stats.errors.Load(),
	}
}

// Open registers an endpoint with the XDP program. A kernel UDP socket is
// bound to the same address and port: it reserves the port, chooses one
// when the spec asks for port 0, and holds the multicast membership so
// that Linux keeps answering IGMP for the group.
func (b *Backend) Open(spec backend.Spec) (backend.Transport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, backend.ErrClosed
	}
	if !spec.Local.Addr().Is4() && !spec.Local.Addr().Is4In6() {
		return nil, fmt.Errorf("xdp open %s: only IPv4 endpoints are supported", spec.Local)
	}
	local := netip.AddrPortFrom(spec.Local.Addr().Unmap(), spec.Local.Port())
	t := &transport{b: b, spec: spec, ttl: uint8(spec.MulticastTTL)}
	src := b.ifc.Addr
	if spec.Interface.IsValid() {
		src = spec.Interface.Unmap()
	}
	// A wildcard endpoint is steered at every IPv4 address the
	// interface has, as a kernel socket bound to 0.0.0.0 would take them
	// all (steerAddrs follows later changes); the kernel socket binds the
	// wildcard too.
	wildcard := local.Addr().IsUnspecified()
	var addrs []netip.Addr
	if wildcard {
		ifc, err := b.net.ByIndex(b.ifc.Index)
		if err != nil {
			return nil, fmt.Errorf("xdp open %s: %w", local, err)
		}
		if len(ifc.Addrs) == 0 {
			return nil, fmt.Errorf("xdp open %s: interface %s has no IPv4 address", local, ifc.Name)
		}
		addrs = ifc.Addrs
	}
	err := b.ns.do(func() error {
		var err error
		if local.Addr().IsMulticast() {
			t.kernel, err = net.ListenMulticastUDP("udp4", b.netInterface(), net.UDPAddrFromAddrPort(local))
		} else {
			if !wildcard {
				src = local.Addr()
			}
			t.kernel, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(local))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("xdp open %s: reserve with a kernel socket: %w", local, err)
	}
	if local.Port() == 0 {
		local = netip.AddrPortFrom(local.Addr(), t.kernel.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	}
	t.local = local
	t.src = netip.AddrPortFrom(src, local.Port())
	steered := []netip.AddrPort{local}
	if wildcard {
		// Named by the address it sends from, as before a wildcard
		// took more than one.
		t.local = t.src
		steered = steered[:0]
		for _, a := range addrs {
			steered = append(steered, netip.AddrPortFrom(a, local.Port()))
		}
	}
	for _, s := range steered {
		if _, dup := b.transports[s]; dup {
			t.kernel.Close()
			return nil, fmt.Errorf("xdp open %s: endpoint %s already open", local, s)
		}
	}
	// A channel MTU the link cannot carry is refused here, where the
	// publication is made. The largest UDP payload is what a receive
	// endpoint asks for, meaning whatever arrives: it is accepted, and
	// what arrives is bounded by the link (larger datagrams come as IP
	// fragments, which the program leaves to Linux).
	if spec.MaxDatagram < maxUDPPayload {
		if err := netdev.CheckMTU(b.ifc, 0, spec.MaxDatagram); err != nil {
			t.kernel.Close()
			return nil, fmt.Errorf("xdp open %s: %w", local, err)
		}
	}
	if spec.Connect.IsValid() {
		t.connect = netip.AddrPortFrom(spec.Connect.Addr().Unmap(), spec.Connect.Port())
		if t.connectHop, err = b.resolver.Resolve(t.connect.Addr(), resolveTimeout); err != nil {
			t.kernel.Close()
			return nil, fmt.Errorf("xdp open %s: %w", local, err)
		}
	}
	maxDatagram := spec.MaxDatagram
	if maxDatagram <= 0 || maxDatagram > b.socks[0].FrameSize()-frame.HeadersLength {
		maxDatagram = b.socks[0].FrameSize() - frame.HeadersLength
	}
	t.side = make([]sideSlot, otherRingSlots)
	for i := range t.side {
		t.side[i].buf = make([]byte, maxDatagram)
	}
	t.lent = make([]lentFrame, 0, b.BatchSize())
	if err := t.prepareKernelRead(); err != nil {
		t.kernel.Close()
		return nil, fmt.Errorf("xdp open %s: %w", local, err)
	}
	t.hops = map[netip.Addr]*netdev.Neighbour{}
	for i, s := range steered {
		if err := b.prog.AddEndpoint(s); err != nil {
			for _, done := range steered[:i] {
				_ = b.prog.RemoveEndpoint(done)
			}
			t.kernel.Close()
			return nil, fmt.Errorf("xdp open %s: %w", local, err)
		}
	}
	for _, s := range steered {
		b.transports[s] = t
	}
	t.steered.Store(&steered)
	if wildcard {
		b.wildcards[t] = struct{}{}
	}
	return t, nil
}

// steerAddrs steers each wildcard endpoint at the interface's addresses
// now: an added address is taken unless another endpoint holds it on the
// same port, and a removed one is let go.
func (b *Backend) steerAddrs(addrs []netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addrList = addrs
	b.steerWildcards()
}

// steerWildcards brings the wildcard endpoints' steering up to date with
// addrList. Called with mu held.
func (b *Backend) steerWildcards() {
	if b.closed {
		return
	}
	addrs := b.addrList
	for t := range b.wildcards {
		port := t.local.Port()
		old := *t.steered.Load()
		var added, kept []netip.AddrPort
		for _, a := range addrs {
			s := netip.AddrPortFrom(a, port)
			switch other, held := b.transports[s]; {
			case held && other != t:
				slog.Warn("xdp wildcard endpoint: address held by another endpoint", "endpoint", s)
			case held:
				kept = append(kept, s)
			default:
				added = append(added, s)
			}
		}
		if len(added) == 0 && len(kept) == len(old) {
			continue // nothing changed for this one
		}
		// The transport owns an added address before the program steers
		// it there, so that Receive takes the first datagram in order
		// rather than setting it aside; the program stops steering a
		// removed one before the transport lets it go.
		grown := append(slices.Clone(old), added...)
		t.steered.Store(&grown)
		steered := kept
		for _, s := range added {
			if err := b.prog.AddEndpoint(s); err != nil {
				slog.Warn("xdp wildcard endpoint: steer added address", "endpoint", s, "error", err)
				continue
			}
			b.transports[s] = t
			steered = append(steered, s)
		}
		for _, s := range old {
			if !slices.Contains(steered, s) {
				delete(b.transports, s)
				if err := b.prog.RemoveEndpoint(s); err != nil {
					slog.Warn("xdp wildcard endpoint: release removed address", "endpoint", s, "error", err)
				}
			}
		}
		slog.Info("xdp wildcard endpoint follows the interface's addresses", "port", port, "steered", steered)
		t.steered.Store(&steered)
	}
}

func (b *Backend) netInterface() *net.Interface {
	ifc, err := net.InterfaceByIndex(b.ifc.Index)
	if err != nil {
		return nil
	}
	return ifc
}

// Close detaches the program and closes every transport and socket.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ts := make([]*transport, 0, len(b.transports))
	for _, t := range b.transports {
		if !slices.Contains(ts, t) { // a wildcard is there once per address
			ts = append(ts, t)
		}
	}
	b.mu.Unlock()
	if b.addrs != nil {
		// Before the transports close, so none is steered again.
		_ = b.addrs.Close()
	}
	for _, t := range ts {
		t.Close()
	}
	b.logCounters()
	var errs []error
	if b.link != nil {
		errs = append(errs, b.link.Close())
	}
	b.rxMu.Lock()
	b.txMu.Lock()
	for _, s := range b.socks {
		errs = append(errs, s.Close())
	}
	b.socks = nil
	b.txMu.Unlock()
	b.rxMu.Unlock()
	if b.prog != nil {
		errs = append(errs, b.prog.Close())
	}
	if b.resolver != nil {
		errs = append(errs, b.resolver.Close())
	}
	if b.setup != nil {
		errs = append(errs, b.setup.Restore())
	}
	if b.net != nil {
		errs = append(errs, b.net.Close())
	}
	b.ns.close()
	return errors.Join(errs...)
}

// logCounters records the program's and the backend's counters as the
// backend closes: the last word on how much went through AF_XDP and how
// much the program left to Linux.
func (b *Backend) logCounters() {
	if b.prog == nil || b.link == nil {
		return
	}
	x, err := b.prog.Stats()
	if err != nil {
		slog.Warn("xdp backend counters", "interface", b.ifc.Name, "error", err)
		return
	}
	s := b.Stats()
	slog.Info("xdp backend counters", "interface", b.ifc.Name,
		"redirected", x.Redirected, "passed", x.Passed, "redirect_failed", x.RedirectFailed,
		"datagrams_in", s.DatagramsIn, "via_kernel", b.stats.viaKernel.Load(), "datagrams_out", s.DatagramsOut,
		"drops", s.Drops, "errors", s.Errors)
}

type lentFrame struct {
	sock *xsk.Socket
	desc xsk.Desc
}

type sideSlot struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

// transport is one endpoint.
type transport struct {
	b          *Backend
	spec       backend.Spec
	local, src netip.AddrPort
	// steered are the (address, port) pairs the program sends here: the
	// local endpoint, or each interface address for a wildcard one. It
	// is replaced under b.mu and read without a lock, for Receive holds
	// rxMu, which is taken before b.mu.
	steered    atomic.Pointer[[]netip.AddrPort]
	connect    netip.AddrPort
	connectHop *netdev.Neighbour
	ttl        uint8
	kernel     *net.UDPConn
	closed     atomic.Bool

	// Guarded by b.rxMu: reading the kernel socket, which gets what the
	// program leaves to Linux for this port: IP fragments, reassembled;
	// datagrams on a queue with no AF_XDP socket; any that came before
	// the endpoint entered the program's map. The read function is made
	// once, so that reading allocates nothing.
	kernelRaw   syscall.RawConn
	kernelRead  func(fd uintptr) bool
	kernelBuf   []byte
	kernelN     int
	kernelFrom  unix.RawSockaddrInet4
	kernelLen   uint32
	kernelPolls uint64

	// Guarded by b.rxMu: frames lent to the caller since the last
	// Receive, and the side ring of datagrams other transports found.
	lent          []lentFrame
	side          []sideSlot
	sideHead      uint64 // next slot to read
	sideTail      uint64 // next slot to write
	sideLentUntil uint64 // slots before this were lent and are freed at the next Receive
	parsed        frame.Datagram

	// Guarded by b.txMu: the next hop of each destination sent to.
	hops map[netip.Addr]*netdev.Neighbour
}

func (t *transport) LocalAddr() netip.AddrPort { return t.local }

// owns says whether a datagram to dst is this transport's.
func (t *transport) owns(dst netip.AddrPort) bool {
	for _, s := range *t.steered.Load() {
		if s == dst {
			return true
		}
	}
	return false
}

// Receive returns datagrams for this endpoint: first those other
// transports set aside for it, then from the RX rings, setting aside the
// ones for other endpoints. Frames lent by the previous call go back to
// the kernel first.
func (t *transport) Receive(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	b := t.b
	b.rxMu.Lock()
	defer b.rxMu.Unlock()
	if b.socks == nil {
		return 0, backend.ErrClosed
	}
	for _, l := range t.lent {
		l.sock.Recycle([]xsk.Desc{l.desc})
	}
	t.lent = t.lent[:0]
	t.sideHead = max(t.sideHead, t.sideLentUntil)
	n := 0
	for n < len(msgs) && t.sideHead+uint64(n) < t.sideTail {
		s := &t.side[(t.sideHead+uint64(n))%uint64(len(t.side))]
		msgs[n] = backend.Message{Buf: s.buf[:s.n], Addr: s.from}
		n++
	}
	t.sideLentUntil = t.sideHead + uint64(n)
	if n < len(msgs) {
		if t.kernelPolls++; t.kernelPolls%kernelPollEvery == 0 {
			n += t.receiveKernel(msgs[n:])
		}
	}
	for _, s := range b.socks {
		if n == len(msgs) {
			break
		}
		want := min(len(msgs)-n, len(b.rxBuf))
		got := s.Receive(b.rxBuf[:want])
		for _, d := range b.rxBuf[:got] {
			fr := s.Frame(d.Addr, int(d.Len))
			if err := frame.ParseOffloaded(fr, &t.parsed); err != nil {
				b.stats.drops.Add(1)
				s.Recycle([]xsk.Desc{d})
				continue
			}
			if t.owns(t.parsed.Dst) && (!t.connect.IsValid() || t.parsed.Src == t.connect) {
				msgs[n] = backend.Message{Buf: t.parsed.Payload, Addr: t.parsed.Src}
				n++
				t.lent = append(t.lent, lentFrame{sock: s, desc: d})
				b.stats.in.Add(1)
				b.stats.bytesIn.Add(uint64(len(t.parsed.Payload)))
				continue
			}
			b.setAside(&t.parsed)
			s.Recycle([]xsk.Desc{d})
		}
	}
	return n, nil
}

func (t *transport) prepareKernelRead() error {
	raw, err := t.kernel.SyscallConn()
	if err != nil {
		return fmt.Errorf("kernel socket: %w", err)
	}
	t.kernelRaw = raw
	t.kernelBuf = make([]byte, maxUDPPayload)
	t.kernelRead = func(fd uintptr) bool {
		t.kernelLen = unix.SizeofSockaddrInet4
		r, _, errno := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&t.kernelBuf[0])), uintptr(len(t.kernelBuf)),
			unix.MSG_DONTWAIT, uintptr(unsafe.Pointer(&t.kernelFrom)), uintptr(unsafe.Pointer(&t.kernelLen)))
		t.kernelN = int(r)
		if errno != 0 {
			t.kernelN = -1
		}
		return true // never wait: Receive polls
	}
	return nil
}

// receiveKernel takes one datagram Linux delivered to the endpoint's
// kernel socket, if there is one. Called with rxMu held; the datagram is
// lent until the next Receive.
func (t *transport) receiveKernel(msgs []backend.Message) int {
	if err := t.kernelRaw.Read(t.kernelRead); err != nil || t.kernelN < 0 {
		return 0
	}
	port := t.kernelFrom.Port>>8 | t.kernelFrom.Port<<8
	from := netip.AddrPortFrom(netip.AddrFrom4(t.kernelFrom.Addr), port)
	if t.connect.IsValid() && from != t.connect {
		return 0
	}
	msgs[0] = backend.Message{Buf: t.kernelBuf[:t.kernelN], Addr: from}
	t.b.stats.in.Add(1)
	t.b.stats.bytesIn.Add(uint64(t.kernelN))
	t.b.stats.viaKernel.Add(1)
	return 1
}

// setAside copies a datagram for another endpoint into that transport's
// side ring, or counts it dropped. Called with rxMu held.
func (b *Backend) setAside(d *frame.Datagram) {
	b.mu.Lock()
	o := b.transports[d.Dst]
	b.mu.Unlock()
	// A connected transport takes datagrams from its peer only, as a
	// connected kernel socket does.
	stranger := o != nil && o.connect.IsValid() && d.Src != o.connect
	if o == nil || stranger || o.sideTail-o.sideHead >= uint64(len(o.side)) || len(d.Payload) > len(o.side[0].buf) {
		b.stats.drops.Add(1)
		return
	}
	s := &o.side[o.sideTail%uint64(len(o.side))]
	s.n = copy(s.buf, d.Payload)
	s.from = d.Src
	o.sideTail++
	b.stats.in.Add(1)
	b.stats.bytesIn.Add(uint64(s.n))
}

// Send builds a frame per message into UMEM frames and transmits them as
// one batch.
func (t *transport) Send(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	b := t.b
	b.txMu.Lock()
	defer b.txMu.Unlock()
	if b.socks == nil {
		return 0, backend.ErrClosed
	}
	s := b.socks[0]
	e := frame.Endpoints{SrcMAC: b.ifc.MAC, Src: t.src, TTL: t.ttl}
	sent := 0
	for sent < len(msgs) {
		b.txBuf = b.txBuf[:0]
		for i := sent; i < len(msgs) && len(b.txBuf) < cap(b.txBuf); i++ {
			m := &msgs[i]
			dst := t.connect
			if m.Addr.IsValid() {
				dst = netip.AddrPortFrom(m.Addr.Addr().Unmap(), m.Addr.Port())
			}
			mac, err := t.macFor(dst)
			if err != nil {
				b.stats.errors.Add(1)
				t.release(s)
				return sent, fmt.Errorf("xdp send to %s: %w", dst, err)
			}
			// The link drops a frame over its MTU without a word, so
			// refuse it as a kernel socket would (EMSGSIZE).
			if ipLen := frame.IPv4HeaderLength + frame.UDPHeaderLength + len(m.Buf); ipLen > b.ifc.MTU {
				b.stats.errors.Add(1)
				t.release(s)
				return sent, fmt.Errorf("xdp send %d bytes to %s: %d-byte packet over the MTU %d of %s: %w",
					len(m.Buf), dst, ipLen, b.ifc.MTU, b.ifc.Name, unix.EMSGSIZE)
			}
			addr, ok := s.AllocFrame()
			if !ok {
				break
			}
			e.DstMAC, e.Dst = mac, dst
			n, err := frame.Build(s.Frame(addr, s.FrameSize()), &e, uint16(b.ipID.Add(1)), m.Buf)
			if err != nil {
				s.FreeFrame(addr)
				t.release(s)
				return sent, fmt.Errorf("xdp send %d bytes to %s: %w", len(m.Buf), dst, err)
			}
			b.txBuf = append(b.txBuf, xsk.Desc{Addr: addr, Len: uint32(n)})
		}
		if len(b.txBuf) == 0 {
			return sent, nil // every frame is in flight: a short send
		}
		q := s.Transmit(b.txBuf)
		for i := 0; i < q; i++ {
			b.stats.bytesOut.Add(uint64(len(msgs[sent+i].Buf)))
		}
		b.stats.out.Add(uint64(q))
		sent += q
		if q < len(b.txBuf) {
			for _, d := range b.txBuf[q:] {
				s.FreeFrame(d.Addr)
			}
			return sent, nil
		}
	}
	return sent, nil
}

func (t *transport) release(s *xsk.Socket) {
	for _, d := range t.b.txBuf {
		s.FreeFrame(d.Addr)
	}
	t.b.txBuf = t.b.txBuf[:0]
}

// macFor returns the Ethernet destination for dst. The next hop is
// resolved on the first send to a destination; after that its MAC comes
// from the resolver's entry, which follows the kernel's neighbour table.
// A next hop the kernel has given up on is an error, as EHOSTUNREACH is
// for a kernel socket.
func (t *transport) macFor(dst netip.AddrPort) (frame.MAC, error) {
	if !dst.IsValid() {
		return frame.MAC{}, errors.New("no destination (transport is not connected)")
	}
	hop := t.connectHop
	if dst != t.connect {
		hop = t.hops[dst.Addr()]
		if hop == nil {
			var err error
			if hop, err = t.b.resolver.Resolve(dst.Addr(), resolveTimeout); err != nil {
				return frame.MAC{}, err
			}
			t.hops[dst.Addr()] = hop
		}
	}
	mac, ok := hop.MAC()
	if !ok {
		return mac, fmt.Errorf("%w: next hop %s is %s", netdev.ErrUnresolved, hop.Addr(), hop.StateName())
	}
	return mac, nil
}

// Close removes the endpoint from the XDP program and closes the kernel
// socket; datagrams for it go to Linux again.
func (t *transport) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	b := t.b
	// The kernel socket closes first: a datagram that reaches Linux once
	// the program lets the endpoint go finds no socket, as after a
	// kernel socket's close, rather than one that is never read.
	errs := []error{t.kernel.Close()}
	// Under mu, so that a wildcard endpoint steered at an address this
	// one held does not race the removal from the program's map.
	b.mu.Lock()
	for _, s := range *t.steered.Load() {
		delete(b.transports, s)
		errs = append(errs, b.prog.RemoveEndpoint(s))
	}
	delete(b.wildcards, t)
	// A wildcard endpoint on the same port takes what this one let go,
	// as the kernel's wildcard socket would.
	b.steerWildcards()
	b.mu.Unlock()
	err := errors.Join(errs...)
	b.rxMu.Lock()
	for _, l := range t.lent {
		l.sock.Recycle([]xsk.Desc{l.desc})
	}
	t.lent = nil
	b.rxMu.Unlock()
	return err
}

// SocketStats returns each queue's AF_XDP socket statistics.
func (b *Backend) SocketStats() ([]xsk.Stats, error) {
	b.rxMu.Lock()
	defer b.rxMu.Unlock()
	b.txMu.Lock()
	defer b.txMu.Unlock()
	out := make([]xsk.Stats, 0, len(b.socks))
	for _, s := range b.socks {
		st, err := s.Stats()
		if err != nil {
			return out, err
		}
		out = append(out, st)
	}
	return out, nil
}
