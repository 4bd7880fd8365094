package dpdk

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

func TestRoute(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.MustParseAddr("198.18.0.254"), 30*time.Second)
	for _, c := range []struct {
		dst, hop string
		mac      frame.MAC
		fixed    bool
	}{
		{"198.18.0.2", "198.18.0.2", frame.MAC{}, false},
		{"198.19.0.5", "198.18.0.254", frame.MAC{}, false},
		{"239.255.0.1", "239.255.0.1", frame.MAC{1, 0, 0x5e, 0x7f, 0, 1}, true},
		{"198.18.0.255", "198.18.0.255", frame.BroadcastMAC, true},
		{"255.255.255.255", "255.255.255.255", frame.BroadcastMAC, true},
	} {
		hop, mac, fixed, err := n.route(netip.MustParseAddr(c.dst))
		if err != nil || hop.String() != c.hop || mac != c.mac || fixed != c.fixed {
			t.Errorf("%s: %s %s %v %v", c.dst, hop, mac, fixed, err)
		}
	}
	noGW := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{}, 30*time.Second)
	if _, _, _, err := noGW.route(netip.MustParseAddr("198.19.0.5")); err == nil || !strings.Contains(err.Error(), "no gateway") {
		t.Fatalf("off-link without gateway: %v", err)
	}
}

func TestLearnAndAsk(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{}, 30*time.Second)
	now := time.Unix(1000, 0)
	peer, mac := netip.MustParseAddr("198.18.0.2"), frame.MAC{2, 0, 0, 0, 0, 2}
	// An ARP message not for us does not add an entry.
	n.learn(peer, mac, false, now)
	if _, ok := n.lookup(peer); ok {
		t.Fatal("learned from a message not for us")
	}
	if !n.shouldAsk(peer, now, time.Second) || n.shouldAsk(peer, now.Add(500*time.Millisecond), time.Second) {
		t.Fatal("ask once per interval")
	}
	if !n.shouldAsk(peer, now.Add(time.Second), time.Second) {
		t.Fatal("ask again after the interval")
	}
	// Now the entry is pending, so any ARP from the peer fills it.
	n.learn(peer, mac, false, now)
	if got, ok := n.lookup(peer); !ok || got != mac {
		t.Fatalf("lookup %s %v", got, ok)
	}
	if n.shouldAsk(peer, now.Add(time.Hour), time.Second) {
		t.Fatal("asked for a resolved hop")
	}
	// Off-link senders, broadcast and multicast MACs are not learned.
	n.learn(netip.MustParseAddr("10.0.0.1"), mac, true, now)
	n.learn(netip.MustParseAddr("198.18.0.3"), frame.BroadcastMAC, true, now)
	n.learn(netip.MustParseAddr("198.18.0.4"), frame.MAC{1, 0, 0x5e, 0, 0, 1}, true, now)
	if len(n.entries) != 1 {
		t.Fatalf("entries %v", n.entries)
	}
}

func TestNeighbourTableIsBounded(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("10.0.0.1/8"), netip.Addr{}, 30*time.Second)
	now := time.Now()
	for i := 0; i < 2*maxNeighbours; i++ {
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		n.learn(ip, frame.MAC{2, 0, 0, byte(i >> 16), byte(i >> 8), byte(i)}, true, now)
		n.shouldAsk(ip, now, time.Second)
	}
	if len(n.entries) != maxNeighbours {
		t.Fatalf("%d entries", len(n.entries))
	}
}

func TestSeedTakesOnlyOnLinkEntries(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{}, 30*time.Second)
	on, off := netip.MustParseAddr("198.18.0.9"), netip.MustParseAddr("10.1.1.1")
	mac := frame.MAC{2, 0, 0, 0, 0, 9}
	n.seed(map[netip.Addr]frame.MAC{on: mac, off: mac}, time.Now())
	if got, ok := n.lookup(on); !ok || got != mac {
		t.Fatalf("on-link entry %s %v", got, ok)
	}
	if _, ok := n.lookup(off); ok {
		t.Fatal("off-link entry seeded")
	}
}

// TestAgeing: past the reachable time an entry is probed at its MAC, once
// per probe interval, while still in use; an answer makes it fresh again;
// unanswered probes make it go, and the generation tells transports.
func TestAgeing(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{}, 30*time.Second)
	t0 := time.Unix(1000, 0)
	peer, mac := netip.MustParseAddr("198.18.0.2"), frame.MAC{2, 0, 0, 0, 0, 2}
	n.learn(peer, mac, true, t0)
	gen := n.generation()
	if p := n.age(t0.Add(29*time.Second), nil); len(p) != 0 {
		t.Fatalf("probed a fresh entry: %v", p)
	}
	at := t0.Add(30 * time.Second)
	if p := n.age(at, nil); len(p) != 1 || p[0] != (probe{ip: peer, mac: mac}) {
		t.Fatalf("probes %v", p)
	}
	if p := n.age(at.Add(500*time.Millisecond), nil); len(p) != 0 {
		t.Fatalf("probed twice within the interval: %v", p)
	}
	if got, ok := n.lookup(peer); !ok || got != mac {
		t.Fatal("a stale entry must stay in use while probed")
	}
	// The peer answers: fresh again, same MAC, no change to tell.
	n.learn(peer, mac, false, at.Add(time.Second))
	if p := n.age(at.Add(2*time.Second), nil); len(p) != 0 || n.generation() != gen {
		t.Fatalf("after the answer: probes %v, generation %d (was %d)", p, n.generation(), gen)
	}
	// Now it goes silent: three probes, then it is forgotten.
	at = at.Add(31 * time.Second)
	for i := 0; i < maxProbes; i++ {
		if p := n.age(at.Add(time.Duration(i)*probeInterval), nil); len(p) != 1 {
			t.Fatalf("probe %d: %v", i, p)
		}
	}
	n.age(at.Add(maxProbes*probeInterval), nil)
	if _, ok := n.lookup(peer); ok {
		t.Fatal("kept an entry that answered no probe")
	}
	if n.generation() == gen {
		t.Fatal("forgetting an entry did not move the generation")
	}
	// A new MAC learned moves it too.
	gen = n.generation()
	n.learn(peer, frame.MAC{2, 0, 0, 0, 0, 3}, true, at)
	if n.generation() == gen {
		t.Fatal("a changed MAC did not move the generation")
	}
	// A pending entry nobody answers is dropped after the reachable time.
	ghost := netip.MustParseAddr("198.18.0.77")
	n.shouldAsk(ghost, at, time.Second)
	n.age(at.Add(30*time.Second), nil)
	if _, ok := n.entries[ghost]; ok {
		t.Fatal("kept a pending entry nobody answered")
	}
}
