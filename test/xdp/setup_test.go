package xdp

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/netdev"
	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// describe looks interface name up inside host h.
func describe(t *testing.T, h *netns.Host, name string) netdev.Interface {
	t.Helper()
	var ifc netdev.Interface
	inNS(t, h, func() (err error) { ifc, err = netdev.Lookup(name); return err })
	return ifc
}

// noProgram fails the test if an XDP program is attached to the host's
// interface.
func noProgram(t *testing.T, h *netns.Host) {
	t.Helper()
	out, err := h.Exec("ip", "link", "show", "dev", h.IfName())
	if err != nil || strings.Contains(out, "xdp") {
		t.Fatalf("XDP left on %s: %v\n%s", h.IfName(), err, out)
	}
}

// TestBackendPreparesInterface starts the backend on a link that is down
// and asks for two queues: the backend brings the link up, binds a socket
// per queue, and Close puts both back.
func TestBackendPreparesInterface(t *testing.T) {
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a := n.Hosts[0]
	if _, err := a.Exec("ip", "link", "set", a.IfName(), "down"); err != nil {
		t.Fatal(err)
	}
	var be *xdpb.Backend
	inNS(t, a, func() (err error) {
		be, err = xdpb.New(backend.Options{Interface: a.IfName(), QueueCount: 2, MTU: 1408})
		return err
	})
	defer be.Close()
	if ifc := describe(t, a, a.IfName()); !ifc.Up || ifc.RxQueues != 2 {
		t.Fatalf("while running: %+v", ifc)
	}
	if ss, err := be.SocketStats(); err != nil || len(ss) != 2 {
		t.Fatalf("%d sockets (%v), want one per queue", len(ss), err)
	}
	if err := be.Close(); err != nil {
		t.Fatal(err)
	}
	if ifc := describe(t, a, a.IfName()); ifc.Up || ifc.RxQueues != 1 {
		t.Fatalf("after Close: %+v", ifc)
	}
	noProgram(t, a)
}

// TestBackendRefusesMTU starts the backend where the interface's MTU does
// not fit the receive frames, then where the channel MTU does not fit the
// interface's.
func TestBackendRefusesMTU(t *testing.T) {
	netns.Require(t)
	n := netns.New(t, netns.Options{MTU: 9000})
	a := n.Hosts[0]
	err := a.Run(func() error {
		be, err := xdpb.New(backend.Options{Interface: a.IfName()})
		if err == nil {
			be.Close()
		}
		return err
	})
	if !errors.Is(err, netdev.ErrMTU) || !strings.Contains(err.Error(), "MTU 9000") || !strings.Contains(err.Error(), "lower it to 1778") {
		t.Fatalf("MTU 9000: %v", err)
	}
	t.Logf("refused: %v", err)
	noProgram(t, a)
	if _, err := a.Exec("ip", "link", "set", a.IfName(), "mtu", "1500"); err != nil {
		t.Fatal(err)
	}
	err = a.Run(func() error {
		be, err := xdpb.New(backend.Options{Interface: a.IfName(), MTU: 1480})
		if err == nil {
			be.Close()
		}
		return err
	})
	if !errors.Is(err, netdev.ErrMTU) || !strings.Contains(err.Error(), "channel MTU 1480") {
		t.Fatalf("channel MTU 1480: %v", err)
	}
	noProgram(t, a)
}

// TestProbeOnVeth probes a veth: AF_XDP works there in copy mode, and the
// trial attach leaves nothing behind.
func TestProbeOnVeth(t *testing.T) {
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a := n.Hosts[0]
	var r backend.ProbeResult
	inNS(t, a, func() error { r = xdpb.Probe(backend.Options{Interface: a.IfName()}); return nil })
	if !r.Available || r.Details["zerocopy"] != "false" || !strings.Contains(r.Mode, "copy") ||
		(r.Details["xdp_mode"] != "native" && r.Details["xdp_mode"] != "generic") || len(r.Queues) != 1 {
		t.Fatalf("probe %+v", r)
	}
	t.Logf("probe: %s (%s)", r.Mode, r.Reason)
	noProgram(t, a)
	inNS(t, a, func() error { r = xdpb.Probe(backend.Options{Interface: a.IfName(), MTU: 1500}); return nil })
	if r.Available || !strings.Contains(r.Reason, "channel MTU 1500") {
		t.Fatalf("probe with a channel MTU too large %+v", r)
	}
}

// TestSendFollowsNewMAC changes the peer's MAC between two sends from a
// connected transport: the second reaches the peer only if the backend
// used the new MAC, which it learns from the kernel's neighbour table.
func TestSendFollowsNewMAC(t *testing.T) {
	e := setup(t)
	peer := e.peer(t, 30071)
	to := netip.AddrPortFrom(e.b.Addr(), 30071)
	tr := e.open(t, backend.Spec{Local: netip.AddrPortFrom(e.a.Addr(), 20171), Connect: to})
	buf := make([]byte, 64)
	expect := func(what string) {
		t.Helper()
		if n, err := tr.Send([]backend.Message{{Buf: []byte(what)}}); n != 1 || err != nil {
			t.Fatalf("send %q: %d %v", what, n, err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, err := peer.Read(buf); err != nil || string(buf[:n]) != what {
			out, _ := e.a.Exec("ip", "neigh")
			t.Fatalf("peer read %q %v, want %q\n%s", buf[:n], err, what, out)
		}
	}
	expect("before")
	if _, err := e.b.Exec("sysctl", "-qw", "net.ipv4.conf."+e.b.IfName()+".arp_notify=1"); err != nil {
		t.Fatal(err)
	}
	newMAC := net.HardwareAddr{0x02, 0xab, 0x00, 0x00, 0x00, 0x43}
	inNS(t, e.b, func() error {
		l, err := netlink.LinkByName(e.b.IfName())
		if err != nil {
			return err
		}
		return netlink.LinkSetHardwareAddr(l, newMAC)
	})
	// The announcement takes a moment to reach A's table and the
	// backend; a datagram sent to the old MAC is lost on the way.
	for deadline := time.Now().Add(3 * time.Second); ; {
		if n, err := tr.Send([]backend.Message{{Buf: []byte("after")}}); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := peer.Read(buf); err == nil && string(buf[:n]) == "after" {
			break
		}
		if time.Now().After(deadline) {
			out, _ := e.a.Exec("ip", "neigh")
			t.Fatalf("nothing reached the peer after its MAC changed to %s\n%s", newMAC, out)
		}
	}
	expect("and again")
}
