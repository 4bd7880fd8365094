package xdp

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// TestDemultiplexBetweenTransports has one transport's Receive find the
// datagrams of another endpoint first: they must reach the other transport
// intact and in order.
func TestDemultiplexBetweenTransports(t *testing.T) {
	e := setup(t)
	l1 := netip.AddrPortFrom(e.a.Addr(), 20171)
	l2 := netip.AddrPortFrom(e.a.Addr(), 20172)
	t1 := e.open(t, backend.Spec{Local: l1})
	t2 := e.open(t, backend.Spec{Local: l2})
	peer := e.peer(t, 0)
	const count = 20
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDPAddrPort([]byte(fmt.Sprintf("for 2: %d", i)), l2); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.WriteToUDPAddrPort([]byte(fmt.Sprintf("for 1: %d", i)), l1); err != nil {
			t.Fatal(err)
		}
	}
	receiveInOrder(t, t1, count, "for 1: %d") // sets transport 2's datagrams aside
	receiveInOrder(t, t2, count, "for 2: %d")
	if st := e.be.Stats(); st.Drops != 0 || st.DatagramsIn != 2*count {
		t.Fatalf("stats %+v", st)
	}
}
