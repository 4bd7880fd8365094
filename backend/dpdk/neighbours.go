package dpdk

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// maxNeighbours bounds the table, so that a flood of ARP from spoofed
// senders cannot grow it without end.
const maxNeighbours = 4096

// A resolved entry is trusted for the reachable time after the last ARP
// message from it; then it is probed by unicast ARP, still in use, every
// probeInterval, and forgotten when maxProbes go unanswered, so that the
// next send resolves it afresh by broadcast. Linux's NUD does the same
// (base_reachable_time, retrans_time, ucast_solicit); without it a peer
// that changed its MAC without a gratuitous ARP would never be reached
// again.
const (
	probeInterval = time.Second
	maxProbes     = 3
)

// neighbours is the backend's own ARP table and routing decision: with the
// NIC gone from Linux, nothing else resolves next hops for it.
type neighbours struct {
	addr      netip.Prefix
	gateway   netip.Addr
	reachable time.Duration

	// gen moves whenever an entry's MAC changes or an entry goes, so
	// transports know when the MAC they cached is out of date.
	gen atomic.Uint64

	mu      sync.Mutex
	entries map[netip.Addr]*neighbour
}

type neighbour struct {
	mac      frame.MAC
	resolved bool
	learned  time.Time
	asked    time.Time
	probes   int // unicast probes unanswered since learned
}

// probe is a unicast ARP request to send: an entry past its reachable
// time, asked at the MAC it was last known at.
type probe struct {
	ip  netip.Addr
	mac frame.MAC
}

func newNeighbours(addr netip.Prefix, gateway netip.Addr, reachable time.Duration) *neighbours {
	return &neighbours{addr: addr, gateway: gateway, reachable: reachable, entries: map[netip.Addr]*neighbour{}}
}

// generation is the table's change count (see gen).
func (n *neighbours) generation() uint64 { return n.gen.Load() }

// age appends to dst the stale entries to probe now, forgets those whose
// probes all went unanswered and pending entries nobody answered for a
// reachable time, and returns dst.
func (n *neighbours) age(now time.Time, dst []probe) []probe {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ip, e := range n.entries {
		if !e.resolved {
			if now.Sub(e.asked) >= n.reachable {
				delete(n.entries, ip)
			}
			continue
		}
		if now.Sub(e.learned) < n.reachable || now.Sub(e.asked) < probeInterval {
			continue
		}
		if e.probes >= maxProbes {
			delete(n.entries, ip)
			n.gen.Add(1)
			continue
		}
		e.probes++
		e.asked = now
		dst = append(dst, probe{ip: ip, mac: e.mac})
	}
	return dst
}

// route decides how to reach dst: a multicast or broadcast destination
// has a fixed MAC (fixed true); otherwise hop is dst itself when on link,
// or the gateway.
func (n *neighbours) route(dst netip.Addr) (hop netip.Addr, mac frame.MAC, fixed bool, err error) {
	switch {
	case dst.IsMulticast():
		return dst, frame.MulticastMAC(dst), true, nil
	case dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || dst == broadcastOf(n.addr):
		return dst, frame.BroadcastMAC, true, nil
	case n.addr.Contains(dst):
		return dst, mac, false, nil
	case n.gateway.IsValid():
		return n.gateway, mac, false, nil
	}
	return hop, mac, false, fmt.Errorf("no route to %s: outside %s and no gateway configured", dst, n.addr)
}

// broadcastOf is a prefix's directed broadcast address.
func broadcastOf(p netip.Prefix) netip.Addr {
	if !p.IsValid() || p.Bits() >= 31 {
		return netip.Addr{}
	}
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	a[0] |= byte(host >> 24)
	a[1] |= byte(host >> 16)
	a[2] |= byte(host >> 8)
	a[3] |= byte(host)
	return netip.AddrFrom4(a)
}

// lookup returns a resolved hop's MAC.
func (n *neighbours) lookup(hop netip.Addr) (frame.MAC, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e := n.entries[hop]; e != nil && e.resolved {
		return e.mac, true
	}
	return frame.MAC{}, false
}

// learn records ip at mac. As RFC 826 merges, an existing entry is
// updated from any ARP message; a new one is made only when create is set
// (the message was for us) and the sender is on our link.
func (n *neighbours) learn(ip netip.Addr, mac frame.MAC, create bool, now time.Time) {
	if !ip.Is4() || ip.IsUnspecified() || mac == frame.BroadcastMAC || mac[0]&1 != 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.entries[ip]
	if e == nil {
		if !create || !n.addr.Contains(ip) || len(n.entries) >= maxNeighbours {
			return
		}
		e = &neighbour{}
		n.entries[ip] = e
	}
	if !e.resolved || e.mac != mac {
		n.gen.Add(1)
	}
	e.mac, e.resolved, e.learned, e.probes = mac, true, now, 0
}

// seed adds entries captured from the kernel.
func (n *neighbours) seed(m map[netip.Addr]frame.MAC, now time.Time) {
	for ip, mac := range m {
		if n.addr.Contains(ip) {
			n.learn(ip, mac, true, now)
		}
	}
}

// shouldAsk reports whether to send an ARP request for an unresolved hop
// now: at most once per interval. It makes the pending entry that the
// reply will fill.
func (n *neighbours) shouldAsk(hop netip.Addr, now time.Time, interval time.Duration) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	e := n.entries[hop]
	if e == nil {
		if len(n.entries) >= maxNeighbours {
			return false
		}
		e = &neighbour{}
		n.entries[hop] = e
	}
	if e.resolved || now.Sub(e.asked) < interval {
		return false
	}
	e.asked = now
	return true
}
