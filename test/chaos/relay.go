package chaos

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netns"
)

// Impairment describes what happens to datagrams in one direction.
// Probabilities are in [0, 1].
type Impairment struct {
	Drop      float64
	Duplicate float64
	// Reorder holds a datagram back and sends it after the next one.
	Reorder float64
	// Delay is added to every datagram, plus a uniform Jitter.
	Delay  time.Duration
	Jitter time.Duration
}

// Config configures a Relay.
type Config struct {
	// Listen is where senders address their datagrams.
	Listen netip.AddrPort
	// Target is where they are forwarded.
	Target netip.AddrPort
	// Forward applies to datagrams towards Target, Backward to the replies.
	Forward  Impairment
	Backward Impairment
	// Seed makes every decision reproducible.
	Seed int64
	// MaxQueue bounds the datagrams held for delay or reordering; beyond
	// it they are dropped and counted. Default 4096.
	MaxQueue int
}

const socketBuffer = 4 << 20

// Stats counts what the relay did, per direction.
type Stats struct {
	// Received counts datagrams the relay read, before impairment.
	Received                                            uint64
	Forwarded, Dropped, Duplicated, Reordered, Overflow uint64
}

// direction holds one direction's impairment, its own seeded generator (so
// replies do not disturb the forward sequence of decisions) and counters.
type direction struct {
	imp                                                 Impairment
	mu                                                  sync.Mutex
	rng                                                 *rand.Rand
	received                                            atomic.Uint64
	forwarded, dropped, duplicated, reordered, overflow atomic.Uint64
}

func (d *direction) snapshot() Stats {
	return Stats{d.received.Load(), d.forwarded.Load(), d.dropped.Load(), d.duplicated.Load(), d.reordered.Load(), d.overflow.Load()}
}

func (d *direction) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < p
}

func (d *direction) delay() time.Duration {
	v := d.imp.Delay
	if d.imp.Jitter > 0 {
		d.mu.Lock()
		v += time.Duration(d.rng.Int63n(int64(d.imp.Jitter)))
		d.mu.Unlock()
	}
	return v
}

// Relay forwards UDP between senders and one target with impairments.
type Relay struct {
	cfg      Config
	listen   *net.UDPConn
	mu       sync.Mutex
	flows    map[netip.AddrPort]*flow
	fwd, bwd direction
	sched    *scheduler
	wg       sync.WaitGroup
	closed   atomic.Bool
	// ns is the namespace New ran in: upstream sockets are made later,
	// from a goroutine that may run anywhere, and must be made there.
	ns netns.NsHandle
}

// flow is one sender seen on the listen socket, with its own socket towards
// the target so replies can be told apart.
type flow struct {
	source   netip.AddrPort
	upstream *net.UDPConn
	held     []byte // a datagram held back for reordering, towards target
	heldBack []byte // likewise, towards the source
}

// New starts a relay. The sockets are created in the caller's network
// namespace.
func New(cfg Config) (*Relay, error) {
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 4096
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.Listen))
	if err != nil {
		return nil, fmt.Errorf("relay listen on %s: %w", cfg.Listen, err)
	}
	ns, err := netns.Get()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("relay namespace: %w", err)
	}
	// Large buffers so the relay itself loses nothing it was not told to.
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	r := &Relay{
		cfg:    cfg,
		listen: conn,
		flows:  map[netip.AddrPort]*flow{},
		ns:     ns,
	}
	r.fwd.imp, r.fwd.rng = cfg.Forward, rand.New(rand.NewSource(cfg.Seed))
	r.bwd.imp, r.bwd.rng = cfg.Backward, rand.New(rand.NewSource(cfg.Seed+1))
	r.sched = newScheduler(cfg.MaxQueue)
	r.wg.Add(2)
	go r.readListen()
	go r.sched.run(&r.wg)
	return r, nil
}

// Addr is the relay's listening address.
func (r *Relay) Addr() netip.AddrPort {
	return r.listen.LocalAddr().(*net.UDPAddr).AddrPort()
}

// ForwardStats and BackwardStats report per-direction counters.
func (r *Relay) ForwardStats() Stats  { return r.fwd.snapshot() }
func (r *Relay) BackwardStats() Stats { return r.bwd.snapshot() }

// Close stops the relay and waits for its goroutines.
func (r *Relay) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	err := r.listen.Close()
	r.mu.Lock()
	for _, f := range r.flows {
		f.upstream.Close()
	}
	r.mu.Unlock()
	r.sched.close()
	r.wg.Wait()
	r.ns.Close()
	return err
}

func (r *Relay) readListen() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, src, err := r.listen.ReadFromUDPAddrPort(buf)
		if err != nil {
			if r.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		f, err := r.flowFor(src)
		if err != nil {
			r.fwd.dropped.Add(1)
			continue
		}
		target := r.cfg.Target
		r.impair(buf[:n], &r.fwd, &f.held, func(b []byte) {
			_, _ = f.upstream.WriteToUDPAddrPort(b, target)
		})
	}
}

func (r *Relay) flowFor(src netip.AddrPort) (*flow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.flows[src]; ok {
		return f, nil
	}
	bind := netip.AddrPortFrom(r.cfg.Listen.Addr(), 0)
	if r.cfg.Listen.Addr().IsUnspecified() {
		bind = netip.AddrPort{}
	}
	up, err := r.listenInNamespace(bind)
	if err != nil {
		return nil, fmt.Errorf("relay upstream socket for %s: %w", src, err)
	}
	_ = up.SetReadBuffer(socketBuffer)
	_ = up.SetWriteBuffer(socketBuffer)
	f := &flow{source: src, upstream: up}
	r.flows[src] = f
	r.wg.Add(1)
	go r.readUpstream(f)
	return f, nil
}

func (r *Relay) readUpstream(f *flow) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := f.upstream.ReadFromUDPAddrPort(buf)
		if err != nil {
			if r.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.impair(buf[:n], &r.bwd, &f.heldBack, func(b []byte) {
			_, _ = r.listen.WriteToUDPAddrPort(b, f.source)
		})
	}
}

// impair decides the fate of one datagram. held is the per-flow slot for a
// datagram kept back for reordering; it is only touched by the one reader
// goroutine of that direction.
func (r *Relay) impair(b []byte, st *direction, held *[]byte, send func([]byte)) {
	imp := st.imp
	st.received.Add(1)
	if st.chance(imp.Drop) {
		st.dropped.Add(1)
		return
	}
	pkt := append([]byte(nil), b...)
	copies := 1
	if st.chance(imp.Duplicate) {
		copies = 2
		st.duplicated.Add(1)
	}
	if *held == nil && st.chance(imp.Reorder) {
		*held = pkt
		st.reordered.Add(1)
		return
	}
	out := [][]byte{pkt}
	if copies == 2 {
		out = append(out, pkt)
	}
	if *held != nil {
		out = append(out, *held)
		*held = nil
	}
	for _, p := range out {
		d := st.delay()
		if d <= 0 {
			send(p)
			st.forwarded.Add(1)
			continue
		}
		if !r.sched.add(time.Now().Add(d), p, send) {
			st.overflow.Add(1)
			continue
		}
		st.forwarded.Add(1)
	}
}

// scheduler sends delayed datagrams at their due time.
type scheduler struct {
	mu     sync.Mutex
	q      delayQueue
	max    int
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

type delayed struct {
	due  time.Time
	seq  uint64
	pkt  []byte
	send func([]byte)
}

type delayQueue []delayed

func (q delayQueue) Len() int { return len(q) }
func (q delayQueue) Less(i, j int) bool {
	if q[i].due.Equal(q[j].due) {
		return q[i].seq < q[j].seq
	}
	return q[i].due.Before(q[j].due)
}
func (q delayQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)   { *q = append(*q, x.(delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

var seqGen atomic.Uint64

func newScheduler(max int) *scheduler {
	return &scheduler{max: max, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (s *scheduler) add(due time.Time, pkt []byte, send func([]byte)) bool {
	s.mu.Lock()
	if s.closed || len(s.q) >= s.max {
		s.mu.Unlock()
		return false
	}
	heap.Push(&s.q, delayed{due: due, seq: seqGen.Add(1), pkt: pkt, send: send})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

func (s *scheduler) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
}

func (s *scheduler) run(wg *sync.WaitGroup) {
	defer wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := time.Now()
		for len(s.q) > 0 && !s.q[0].due.After(now) {
			d := heap.Pop(&s.q).(delayed)
			s.mu.Unlock()
			d.send(d.pkt)
			s.mu.Lock()
		}
		wait := time.Hour
		if len(s.q) > 0 {
			wait = time.Until(s.q[0].due)
		}
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// listenInNamespace opens a UDP socket in the relay's namespace on a
// locked thread, and switches the thread back before unlocking it. A thread
// that cannot switch back stays locked and goes with its goroutine. (Were
// it the process's main thread, Go would keep it, and a namespace's
// teardown, which kills every process whose main thread is inside, would
// kill the test.)
func (r *Relay) listenInNamespace(bind netip.AddrPort) (*net.UDPConn, error) {
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			ch <- result{err: fmt.Errorf("current namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(r.ns); err != nil {
			ch <- result{err: fmt.Errorf("enter namespace: %w", err)}
			return
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(bind))
		ch <- result{c, err}
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
	res := <-ch
	return res.c, res.err
}
