package netdev

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// ErrUnresolved marks a next hop whose MAC the kernel could not find.
var ErrUnresolved = errors.New("neighbour unresolved")

const (
	// probeInterval spaces the resolution requests for one neighbour, as
	// the kernel's own retransmit time does (neigh/retrans_time_ms).
	probeInterval = time.Second
	// tick is how often the follower looks for neighbours to re-probe.
	tick = 250 * time.Millisecond
	// resubscribeDelay spaces attempts to follow the table again after
	// the notification socket failed.
	resubscribeDelay = 100 * time.Millisecond
	// nudValid are the states whose link-layer address may be used
	// (include/net/neighbour.h, NUD_VALID).
	nudValid = netlink.NUD_PERMANENT | netlink.NUD_NOARP | netlink.NUD_REACHABLE |
		netlink.NUD_PROBE | netlink.NUD_STALE | netlink.NUD_DELAY
)

// Neighbour is one next hop as the kernel's neighbour table last said.
// MAC reads it with one atomic load, from any goroutine.
type Neighbour struct {
	hop netip.Addr
	// word holds the MAC in bits 0-47, the NUD state in bits 48-55, and
	// bit 56 when the MAC has ever been known.
	word      atomic.Uint64
	lastProbe atomic.Int64 // unix nanoseconds
}

const knownBit = 1 << 56

// Addr is the next hop's IP address.
func (e *Neighbour) Addr() netip.Addr { return e.hop }

// MAC returns the next hop's Ethernet address and whether it may be used
// now; after a failure it returns the last known address and false.
func (e *Neighbour) MAC() (frame.MAC, bool) {
	w := e.word.Load()
	var m frame.MAC
	for i := range m {
		m[i] = byte(w >> (40 - 8*i))
	}
	return m, w&knownBit != 0 && (w>>48)&0xff&nudValid != 0
}

// State is the kernel's NUD state of the entry (netlink.NUD_*).
func (e *Neighbour) State() int { return int(e.word.Load()>>48) & 0xff }

// StateName names State as ip-neigh(8) does.
func (e *Neighbour) StateName() string { return stateName(e.State()) }

func (e *Neighbour) set(state int, hw net.HardwareAddr) {
	old := e.word.Load()
	w := old &^ (0xff << 48)
	if len(hw) == 6 && state&nudValid != 0 {
		w = knownBit
		for i, b := range hw {
			w |= uint64(b) << (40 - 8*i)
		}
	}
	e.word.Store(w | uint64(state&0xff)<<48)
}

// Resolver finds next-hop MACs through one interface and keeps them
// current.
type Resolver struct {
	n   *Namespace
	ifc Interface

	mu sync.Mutex // serialises additions to hops
	// hops maps a next hop to its entry. It is replaced, never changed,
	// so readers need no lock.
	hops atomic.Pointer[map[netip.Addr]*Neighbour]

	done    chan struct{}
	stopped chan struct{}
	// Errors counts failures to follow the table or to ask for
	// resolution; the follower carries on after them.
	Errors atomic.Uint64
}

// NewResolver follows the neighbour table of interface ifc.
func (n *Namespace) NewResolver(ifc Interface) (*Resolver, error) {
	r := &Resolver{n: n, ifc: ifc, done: make(chan struct{}), stopped: make(chan struct{})}
	r.hops.Store(&map[netip.Addr]*Neighbour{})
	s, err := r.subscribe()
	if err != nil {
		return nil, err
	}
	go r.follow(s)
	return r, nil
}

// Close stops following the table. The Namespace stays open.
func (r *Resolver) Close() error {
	select {
	case <-r.done:
	default:
		close(r.done)
	}
	<-r.stopped
	return nil
}

// subscribe opens a notification socket in the Namespace.
func (r *Resolver) subscribe() (subscription[netlink.NeighUpdate], error) {
	s := newSubscription[netlink.NeighUpdate](256)
	ns := r.n.ns
	err := netlink.NeighSubscribeWithOptions(s.updates, s.stop, netlink.NeighSubscribeOptions{
		Namespace: &ns, ErrorCallback: s.onError(&r.Errors),
	})
	if err != nil {
		return s, fmt.Errorf("follow the neighbour table: %w", err)
	}
	return s, nil
}

// follow applies notifications to the entries and re-probes entries that
// are stale, failed or gone, until Close.
func (r *Resolver) follow(s subscription[netlink.NeighUpdate]) {
	defer close(r.stopped)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			s.end()
			return
		case u, ok := <-s.updates:
			if ok {
				r.apply(u)
				continue
			}
			// The socket failed: follow the table again and re-read
			// the entries, whose changes may have been lost.
			s.end()
			var closing bool
			if s, closing = resubscribe(r.done, &r.Errors, r.subscribe); closing {
				return
			}
			for _, e := range *r.hops.Load() {
				_ = r.read(e)
			}
		case <-t.C:
			for _, e := range *r.hops.Load() {
				r.maybeProbe(e, false)
			}
		}
	}
}

func (r *Resolver) apply(u netlink.NeighUpdate) {
	if u.LinkIndex != r.ifc.Index || u.Family != netlink.FAMILY_V4 {
		return
	}
	ip, ok := netip.AddrFromSlice(u.IP)
	if !ok {
		return
	}
	e := (*r.hops.Load())[ip.Unmap()]
	if e == nil {
		return
	}
	if u.Type == unix.RTM_DELNEIGH {
		e.set(netlink.NUD_NONE, nil)
	} else {
		e.set(u.State, u.HardwareAddr)
	}
	r.maybeProbe(e, false)
}

// maybeProbe asks the kernel to resolve an entry that is not known to be
// reachable, at most once per probeInterval. A stale entry goes through
// the kernel's delay and unicast probes; a failed or missing one starts
// again with broadcast requests, but only if it once resolved (a peer that
// went away and may come back) or a Resolve is waiting for it (retry set),
// so that an address nobody answers for is not asked about for ever.
func (r *Resolver) maybeProbe(e *Neighbour, retry bool) {
	w := e.word.Load()
	if s := int(w>>48) & 0xff; s != netlink.NUD_NONE && s&(netlink.NUD_STALE|netlink.NUD_FAILED) == 0 {
		return
	}
	if w&knownBit == 0 && !retry {
		return
	}
	now := time.Now().UnixNano()
	if now-e.lastProbe.Load() < int64(probeInterval) {
		return
	}
	e.lastProbe.Store(now)
	if err := r.probe(e.hop); err != nil {
		r.Errors.Add(1)
	}
}

// probe asks the kernel to resolve hop: NTF_USE makes the kernel treat
// the entry as used by a sender, which starts resolution (or
// confirmation, for a stale entry) exactly as its own traffic would,
// without sending anything to the neighbour.
func (r *Resolver) probe(hop netip.Addr) error {
	err := r.n.nl.NeighSet(&netlink.Neigh{
		LinkIndex: r.ifc.Index,
		Family:    netlink.FAMILY_V4,
		IP:        net.IP(hop.AsSlice()),
		Flags:     netlink.NTF_USE,
	})
	if err != nil {
		return fmt.Errorf("ask the kernel to resolve %s on %s: %w", hop, r.ifc.Name, err)
	}
	return nil
}

// read sets the entry from the kernel's table.
func (r *Resolver) read(e *Neighbour) error {
	ns, err := r.n.nl.NeighList(r.ifc.Index, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("read neighbour table of %s: %w", r.ifc.Name, err)
	}
	for _, nb := range ns {
		if ip, ok := netip.AddrFromSlice(nb.IP); ok && ip.Unmap() == e.hop {
			e.set(nb.State, nb.HardwareAddr)
			return nil
		}
	}
	e.set(netlink.NUD_NONE, nil)
	return nil
}

// NextHop is the address whose MAC a frame to dst carries, checking that
// the route leaves through the Resolver's interface.
func (r *Resolver) NextHop(dst netip.Addr) (netip.Addr, error) {
	rt, err := r.n.Route(dst)
	if err != nil {
		return netip.Addr{}, err
	}
	if rt.Index != r.ifc.Index {
		name := fmt.Sprint("index ", rt.Index)
		if ifc, _ := r.n.ByIndex(rt.Index); ifc.Name != "" {
			name = ifc.Name
		}
		return netip.Addr{}, fmt.Errorf("route to %s leaves through %s, not %s", dst, name, r.ifc.Name)
	}
	return rt.NextHop(), nil
}

// Resolve returns the entry to send to dst with, waiting at most timeout
// for the kernel to resolve it. A multicast group maps to its MAC at once.
// The entry stays current until Close: read it with MAC on each send.
func (r *Resolver) Resolve(dst netip.Addr, timeout time.Duration) (*Neighbour, error) {
	dst = dst.Unmap()
	if dst.IsMulticast() {
		e := &Neighbour{hop: dst}
		m := frame.MulticastMAC(dst)
		e.set(netlink.NUD_NOARP, m[:])
		return e, nil
	}
	hop, err := r.NextHop(dst)
	if err != nil {
		return nil, err
	}
	e := r.track(hop)
	if _, ok := e.MAC(); ok {
		return e, nil
	}
	if err := r.read(e); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		if _, ok := e.MAC(); ok {
			return e, nil
		}
		if !time.Now().Before(deadline) {
			_ = r.read(e) // for the state in the error
			return nil, fmt.Errorf("%w: %s (next hop to %s) on %s within %v, state %s",
				ErrUnresolved, hop, dst, r.ifc.Name, timeout, stateName(e.State()))
		}
		r.maybeProbe(e, true)
		time.Sleep(time.Millisecond)
	}
}

// track returns the entry for hop, adding it if new.
func (r *Resolver) track(hop netip.Addr) *Neighbour {
	if e := (*r.hops.Load())[hop]; e != nil {
		return e
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.hops.Load()
	if e := old[hop]; e != nil {
		return e
	}
	e := &Neighbour{hop: hop}
	m := make(map[netip.Addr]*Neighbour, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[hop] = e
	r.hops.Store(&m)
	return e
}

func stateName(s int) string {
	switch s {
	case netlink.NUD_NONE:
		return "none"
	case netlink.NUD_INCOMPLETE:
		return "incomplete"
	case netlink.NUD_REACHABLE:
		return "reachable"
	case netlink.NUD_STALE:
		return "stale"
	case netlink.NUD_DELAY:
		return "delay"
	case netlink.NUD_PROBE:
		return "probe"
	case netlink.NUD_FAILED:
		return "failed"
	case netlink.NUD_NOARP:
		return "noarp"
	case netlink.NUD_PERMANENT:
		return "permanent"
	}
	return fmt.Sprintf("0x%x", s)
}
