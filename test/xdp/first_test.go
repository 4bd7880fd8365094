package xdp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// TestFirstDatagramArrives sends one datagram right after Open, before the
// peer has said anything, and expects the peer to get it.
func TestFirstDatagramArrives(t *testing.T) {
	e := setup(t)
	local := netip.AddrPortFrom(e.a.Addr(), 20161)
	tr := e.open(t, backend.Spec{Local: local})
	peer := e.peer(t, 30061)
	if n, err := tr.Send([]backend.Message{{Buf: make([]byte, 64), Addr: netip.AddrPortFrom(e.b.Addr(), 30061)}}); n != 1 || err != nil {
		t.Fatalf("send %d %v", n, err)
	}
	buf := make([]byte, 128)
	_ = peer.SetReadDeadline(time.Now().Add(3 * time.Second))
	if n, from, err := peer.ReadFromUDPAddrPort(buf); err != nil || n != 64 || from != local {
		ss, _ := e.be.SocketStats()
		out, _ := e.b.Exec("ip", "-s", "link", "show", "dev", e.b.IfName())
		t.Fatalf("peer: %v (%d bytes from %s); sockets %+v\n%s", err, n, from, ss, out)
	}
}
