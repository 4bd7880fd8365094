package dpdk

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

func TestRoute(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.MustParseAddr("198.18.0.254"))
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
	noGW := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{})
	if _, _, _, err := noGW.route(netip.MustParseAddr("198.19.0.5")); err == nil || !strings.Contains(err.Error(), "no gateway") {
		t.Fatalf("off-link without gateway: %v", err)
	}
}

func TestLearnAndAsk(t *testing.T) {
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{})
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
	n := newNeighbours(netip.MustParsePrefix("10.0.0.1/8"), netip.Addr{})
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
	n := newNeighbours(netip.MustParsePrefix("198.18.0.1/24"), netip.Addr{})
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
