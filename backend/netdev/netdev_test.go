package netdev

import (
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func TestResolveAcrossVeth(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	var bIfc Interface
	if err := b.Run(func() (err error) { bIfc, err = Lookup(b.IfName()); return err }); err != nil {
		t.Fatal(err)
	}
	var r *Resolver
	var aIfc Interface
	if err := a.Run(func() (err error) {
		if aIfc, err = ForAddr(a.Addr()); err != nil {
			return err
		}
		r, err = NewResolver(aIfc.Name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if aIfc.Name != a.IfName() || aIfc.Addr != a.Addr() || aIfc.RxQueues < 1 || aIfc.MTU != 1500 {
		t.Fatalf("interface %+v", aIfc)
	}
	// Called from this thread, outside the namespace: the tables opened
	// inside it still answer for it.
	hop, err := r.NextHop(b.Addr())
	if err != nil || hop != b.Addr() {
		t.Fatalf("next hop %s %v", hop, err)
	}
	if _, err := r.NextHop(netip.MustParseAddr("203.0.113.9")); err == nil {
		t.Fatal("route found to an address with no route")
	}
	mac, err := r.Resolve(b.Addr(), 3*time.Second)
	if err != nil {
		out, _ := a.Exec("ip", "neigh")
		t.Fatalf("%v\n%s", err, out)
	}
	if mac != bIfc.MAC {
		t.Fatalf("resolved %s, want %s", mac, bIfc.MAC)
	}
	g := netip.MustParseAddr("239.255.0.1")
	if m, err := r.Resolve(g, time.Second); err != nil || m != frame.MulticastMAC(g) {
		t.Fatalf("multicast %s %v", m, err)
	}
}
