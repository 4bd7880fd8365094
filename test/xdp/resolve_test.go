package xdp

import (
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// TestFirstSendResolvesNeighbour sends before the peer has said anything,
// so the backend must have the kernel resolve the peer's MAC.
func TestFirstSendResolvesNeighbour(t *testing.T) {
	e := setup(t)
	tr := e.open(t, backend.Spec{Local: netip.AddrPortFrom(e.a.Addr(), 20141)})
	n, err := tr.Send([]backend.Message{{Buf: []byte("first"), Addr: netip.AddrPortFrom(e.b.Addr(), 9)}})
	if err != nil || n != 1 {
		out, _ := e.a.Exec("ip", "neigh")
		t.Fatalf("send %d %v\n%s", n, err, out)
	}
}
