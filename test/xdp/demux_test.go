package xdp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

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
	recv := func(tr backend.Transport, prefix string) {
		t.Helper()
		msgs := make([]backend.Message, 8)
		got := 0
		for deadline := time.Now().Add(10 * time.Second); got < count && time.Now().Before(deadline); {
			n, err := tr.Receive(msgs)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs[:n] {
				if want := fmt.Sprintf("%s%d", prefix, got); string(m.Buf) != want {
					t.Fatalf("got %q, want %q", m.Buf, want)
				}
				got++
			}
			if n == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		if got != count {
			t.Fatalf("%s received %d of %d", prefix, got, count)
		}
	}
	recv(t1, "for 1: ") // sets transport 2's datagrams aside
	recv(t2, "for 2: ")
	if st := e.be.Stats(); st.Drops != 0 || st.DatagramsIn != 2*count {
		t.Fatalf("stats %+v", st)
	}
}
