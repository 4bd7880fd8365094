package xdp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// TestHotPathsAllocateNothing measures Send and Receive of the xdp backend
// with a kernel peer echoing nothing back: every Send batch goes out and is
// received back by the peer before the next, and every Receive finds the
// datagrams the peer sent.
func TestHotPathsAllocateNothing(t *testing.T) {
	e := setup(t)
	local := netip.AddrPortFrom(e.a.Addr(), 20151)
	tr := e.open(t, backend.Spec{Local: local})
	peer := e.peer(t, 30051)
	dst := netip.AddrPortFrom(e.b.Addr(), 30051)
	out := make([]backend.Message, 8)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 64), Addr: dst}
	}
	// Resolve the peer once before measuring.
	if _, err := tr.Send(out[:1]); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := tr.Send(out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Send: %v allocations per batch", allocs)
	}
	// The batches went out: the peer sees datagrams from us.
	buf := make([]byte, 2048)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, from, err := peer.ReadFromUDPAddrPort(buf); err != nil || from != local {
		t.Fatalf("peer: %v from %s", err, from)
	}

	in := make([]backend.Message, 8)
	before, err := e.be.XDPStats()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 51*len(in); i++ {
		if _, err := peer.WriteToUDPAddrPort(buf[:64], local); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the program has put them all on the RX ring.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if st, err := e.be.XDPStats(); err == nil && st.Redirected-before.Redirected >= uint64(51*len(in)) {
			break
		}
	}
	total := 0
	allocs = testing.AllocsPerRun(50, func() {
		n, err := tr.Receive(in)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	})
	if total == 0 {
		t.Fatal("Receive found nothing to measure")
	}
	if allocs != 0 {
		t.Fatalf("Receive: %v allocations per batch", allocs)
	}
}
