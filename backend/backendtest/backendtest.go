package backendtest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the backend's name.
const Name = "memory"

// Defaults.
const (
	// DefaultMaxDatagram is the largest UDP payload Aeron sends (its MTU
	// limit, fact sheet §9).
	DefaultMaxDatagram = 65504
	// DefaultQueueLength is how many datagrams a transport holds before
	// arrivals are dropped, like a full socket receive buffer.
	DefaultQueueLength = 1024
	// DefaultBatchSize matches the UDP backend's batch.
	DefaultBatchSize = 16
	firstPort        = 40000
)

// Action is what happens to one datagram in flight.
type Action int

const (
	// Deliver passes the datagram on (subject to the random rates).
	Deliver Action = iota
	// Drop loses it.
	Drop
	// Duplicate delivers it twice.
	Duplicate
	// Reorder holds it back and delivers it after the next datagram to
	// the same destination.
	Reorder
)

// Options configure a Network's faults. Rates are probabilities in [0, 1]
// drawn from a generator seeded with Seed, so a run is repeatable.
type Options struct {
	Seed          uint64
	DropRate      float64
	DuplicateRate float64
	ReorderRate   float64
	// Inspect, when set, sees every datagram before the rates apply and
	// returns its fate; Deliver lets the rates decide. The payload must not
	// be retained.
	Inspect func(src, dst netip.AddrPort, payload []byte) Action
	// QueueLength bounds each transport's queue; 0 means
	// DefaultQueueLength.
	QueueLength int
}

// Network connects the transports of one or more Backends.
type Network struct {
	mu       sync.Mutex
	opts     Options
	rng      *rand.Rand
	bound    map[netip.AddrPort]*Transport
	groups   map[netip.AddrPort][]*Transport
	nextPort uint16
}

// NewNetwork returns an empty network with the given faults.
func NewNetwork(opts Options) *Network {
	if opts.QueueLength <= 0 {
		opts.QueueLength = DefaultQueueLength
	}
	return &Network{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		bound:    map[netip.AddrPort]*Transport{},
		groups:   map[netip.AddrPort][]*Transport{},
		nextPort: firstPort,
	}
}

// SetOptions replaces the fault options (the queue length of transports
// already open is kept), for tests that inject loss after a connection is up.
func (n *Network) SetOptions(opts Options) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if opts.QueueLength <= 0 {
		opts.QueueLength = n.opts.QueueLength
	}
	n.opts = opts
	n.rng = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
}

type stats struct {
	datagramsIn, bytesIn, datagramsOut, bytesOut, drops, errors atomic.Uint64
}

// Backend opens transports on a Network.
type Backend struct {
	net    *Network
	batch  int
	st     stats
	mu     sync.Mutex
	open   map[*Transport]struct{}
	closed bool
}

// New returns a backend on net; a nil net gets a private fault-free network.
func New(net *Network) *Backend {
	if net == nil {
		net = NewNetwork(Options{})
	}
	return &Backend{net: net, batch: DefaultBatchSize, open: map[*Transport]struct{}{}}
}

var _ backend.Backend = (*Backend)(nil)

// Name implements backend.Backend.
func (b *Backend) Name() string { return Name }

// BatchSize implements backend.Backend.
func (b *Backend) BatchSize() int { return b.batch }

// Network is the network the backend's transports are attached to.
func (b *Backend) Network() *Network { return b.net }

// Stats implements backend.Backend.
func (b *Backend) Stats() backend.Stats {
	return backend.Stats{
		DatagramsIn:  b.st.datagramsIn.Load(),
		BytesIn:      b.st.bytesIn.Load(),
		DatagramsOut: b.st.datagramsOut.Load(),
		BytesOut:     b.st.bytesOut.Load(),
		Drops:        b.st.drops.Load(),
		Errors:       b.st.errors.Load(),
	}
}

// Close closes every transport opened on b.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	open := make([]*Transport, 0, len(b.open))
	for t := range b.open {
		open = append(open, t)
	}
	b.mu.Unlock()
	for _, t := range open {
		t.Close()
	}
	return nil
}

// Open binds a transport. An unspecified local address binds the port on
// every address; a multicast local address joins the group.
func (b *Backend) Open(spec backend.Spec) (backend.Transport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, backend.ErrClosed
	}
	if !spec.Local.Addr().IsValid() {
		return nil, fmt.Errorf("open memory transport: invalid local address %v", spec.Local)
	}
	size := spec.MaxDatagram
	if size <= 0 || size > DefaultMaxDatagram {
		size = DefaultMaxDatagram
	}
	n := b.net
	n.mu.Lock()
	defer n.mu.Unlock()
	local := spec.Local
	if local.Port() == 0 {
		p, ok := n.freePort(local.Addr())
		if !ok {
			return nil, fmt.Errorf("open memory transport %v: no free port", local)
		}
		local = netip.AddrPortFrom(local.Addr(), p)
	}
	t := &Transport{
		b:      b,
		spec:   spec,
		local:  local,
		size:   size,
		queue:  make([][]byte, n.opts.QueueLength),
		srcs:   make([]netip.AddrPort, n.opts.QueueLength),
		lent:   make([][]byte, b.batch),
		source: sourceAddr(spec, local),
	}
	if local.Addr().IsMulticast() {
		n.groups[local] = append(n.groups[local], t)
	} else {
		if _, taken := n.bound[local]; taken {
			return nil, fmt.Errorf("open memory transport %v: address in use", local)
		}
		n.bound[local] = t
	}
	b.open[t] = struct{}{}
	return t, nil
}

// freePort finds a port not bound on addr; the caller holds n.mu.
func (n *Network) freePort(addr netip.Addr) (uint16, bool) {
	for range 1 << 16 {
		p := n.nextPort
		n.nextPort++
		if n.nextPort == 0 {
			n.nextPort = firstPort
		}
		if p == 0 {
			continue
		}
		_, a := n.bound[netip.AddrPortFrom(addr, p)]
		_, g := n.groups[netip.AddrPortFrom(addr, p)]
		if !a && !g {
			return p, true
		}
	}
	return 0, false
}

// sourceAddr is the address peers see as the sender: the interface for a
// multicast or wildcard bind, loopback when nothing better is known.
func sourceAddr(spec backend.Spec, local netip.AddrPort) netip.AddrPort {
	a := local.Addr()
	if a.IsMulticast() || a.IsUnspecified() {
		switch {
		case spec.Interface.IsValid() && !spec.Interface.IsUnspecified():
			a = spec.Interface
		case a.Is4():
			a = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		default:
			a = netip.IPv6Loopback()
		}
	}
	return netip.AddrPortFrom(a, local.Port())
}

// Transport is one endpoint on a Network.
type Transport struct {
	b      *Backend
	spec   backend.Spec
	local  netip.AddrPort
	source netip.AddrPort
	size   int

	// queue is a ring of datagram copies guarded by the network's lock;
	// slots keep their memory so steady-state delivery allocates nothing.
	queue      [][]byte
	srcs       []netip.AddrPort
	head, n    int
	held       []byte // a datagram held back to reorder, with its source
	heldSrc    netip.AddrPort
	holding    bool
	lent       [][]byte
	closed     atomic.Bool
	closedOnce sync.Once
}

var _ backend.Transport = (*Transport)(nil)

// LocalAddr implements backend.Transport.
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// Queued is the number of datagrams waiting to be received.
func (t *Transport) Queued() int {
	t.b.net.mu.Lock()
	defer t.b.net.mu.Unlock()
	return t.n
}

// Receive implements backend.Transport.
func (t *Transport) Receive(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	net := t.b.net
	net.mu.Lock()
	defer net.mu.Unlock()
	if len(msgs) > len(t.lent) {
		// Grows once to the caller's batch; later calls reuse it.
		t.lent = append(t.lent, make([][]byte, len(msgs)-len(t.lent))...)
	}
	k := 0
	for k < len(msgs) && t.n > 0 {
		if t.lent[k] == nil {
			t.lent[k] = make([]byte, t.size)
		}
		d := t.queue[t.head]
		buf := t.lent[k][:len(d)]
		copy(buf, d)
		msgs[k] = backend.Message{Buf: buf, Addr: t.srcs[t.head]}
		t.head = (t.head + 1) % len(t.queue)
		t.n--
		t.b.st.datagramsIn.Add(1)
		t.b.st.bytesIn.Add(uint64(len(buf)))
		k++
	}
	return k, nil
}

// Send implements backend.Transport. Datagrams larger than the transport's
// maximum are dropped and counted, as a kernel would refuse them.
func (t *Transport) Send(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	net := t.b.net
	net.mu.Lock()
	defer net.mu.Unlock()
	for _, m := range msgs {
		dst := m.Addr
		if t.spec.Connect.IsValid() {
			dst = t.spec.Connect
		}
		t.b.st.datagramsOut.Add(1)
		t.b.st.bytesOut.Add(uint64(len(m.Buf)))
		if len(m.Buf) > t.size {
			t.b.st.drops.Add(1)
			continue
		}
		net.route(t, dst, m.Buf)
	}
	return len(msgs), nil
}

// route applies the faults and delivers; the caller holds n.mu.
func (n *Network) route(from *Transport, dst netip.AddrPort, p []byte) {
	act := Deliver
	if n.opts.Inspect != nil {
		act = n.opts.Inspect(from.source, dst, p)
	}
	if act == Deliver {
		switch r := n.rng.Float64(); {
		case r < n.opts.DropRate:
			act = Drop
		case r < n.opts.DropRate+n.opts.DuplicateRate:
			act = Duplicate
		case r < n.opts.DropRate+n.opts.DuplicateRate+n.opts.ReorderRate:
			act = Reorder
		}
	}
	if act == Drop {
		from.b.st.drops.Add(1)
		return
	}
	if dst.Addr().IsMulticast() {
		for _, t := range n.groups[dst] {
			n.deliver(t, from.source, p, act)
		}
		return
	}
	t := n.bound[dst]
	if t == nil {
		var any netip.Addr
		if dst.Addr().Is4() {
			any = netip.IPv4Unspecified()
		} else {
			any = netip.IPv6Unspecified()
		}
		t = n.bound[netip.AddrPortFrom(any, dst.Port())]
	}
	if t == nil {
		return // nobody listening: lost, as UDP is
	}
	n.deliver(t, from.source, p, act)
}

// deliver queues p on t by act; the caller holds n.mu.
func (n *Network) deliver(t *Transport, src netip.AddrPort, p []byte, act Action) {
	if t.closed.Load() || len(p) > t.size {
		return
	}
	if t.spec.Connect.IsValid() && src != t.spec.Connect {
		return // a connected socket only hears its peer
	}
	if act == Reorder && !t.holding {
		t.held = append(t.held[:0], p...)
		t.heldSrc = src
		t.holding = true
		return
	}
	t.enqueue(src, p)
	if act == Duplicate {
		t.enqueue(src, p)
	}
	if t.holding {
		t.holding = false
		t.enqueue(t.heldSrc, t.held)
	}
}

func (t *Transport) enqueue(src netip.AddrPort, p []byte) {
	if t.n == len(t.queue) {
		t.b.st.drops.Add(1)
		return
	}
	i := (t.head + t.n) % len(t.queue)
	t.queue[i] = append(t.queue[i][:0], p...)
	t.srcs[i] = src
	t.n++
}

// Flush delivers datagrams held back for reordering, so a test can drain
// the network at its end.
func (n *Network) Flush() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, t := range n.bound {
		t.flushHeld()
	}
	for _, g := range n.groups {
		for _, t := range g {
			t.flushHeld()
		}
	}
}

func (t *Transport) flushHeld() {
	if t.holding {
		t.holding = false
		t.enqueue(t.heldSrc, t.held)
	}
}

// Close implements backend.Transport.
func (t *Transport) Close() error {
	t.closedOnce.Do(func() {
		t.closed.Store(true)
		n := t.b.net
		n.mu.Lock()
		if n.bound[t.local] == t {
			delete(n.bound, t.local)
		}
		if g := n.groups[t.local]; g != nil {
			kept := g[:0]
			for _, m := range g {
				if m != t {
					kept = append(kept, m)
				}
			}
			if len(kept) == 0 {
				delete(n.groups, t.local)
			} else {
				n.groups[t.local] = kept
			}
		}
		n.mu.Unlock()
		t.b.mu.Lock()
		delete(t.b.open, t)
		t.b.mu.Unlock()
	})
	return nil
}
