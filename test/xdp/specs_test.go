package xdp

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/netdev"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// kernelPeer is a kernel UDP socket in host h, joined to group on the
// host's interface when group is valid.
func kernelPeer(t *testing.T, h *netns.Host, port uint16, group netip.Addr) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	inNS(t, h, func() (err error) {
		if group.IsValid() {
			ifc, err := net.InterfaceByName(h.IfName())
			if err != nil {
				return err
			}
			c, err = net.ListenMulticastUDP("udp4", ifc, net.UDPAddrFromAddrPort(netip.AddrPortFrom(group, port)))
			return err
		}
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(h.Addr(), port)))
		return err
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// sendFrom sends one datagram to dst from a fresh kernel socket in h bound
// to from (port 0 for any), with multicast going out of h's interface.
func sendFrom(t *testing.T, h *netns.Host, from uint16, dst netip.AddrPort, what string) {
	t.Helper()
	inNS(t, h, func() error {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(h.Addr(), from)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WriteToUDPAddrPort([]byte(what), dst)
		return err
	})
}

// receiveOne polls tr for up to d and returns what arrived (nil for
// nothing).
func receiveOne(t *testing.T, tr backend.Transport, d time.Duration) *backend.Message {
	t.Helper()
	msgs := make([]backend.Message, 8)
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		n, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			m := backend.Message{Buf: slices.Clone(msgs[0].Buf), Addr: msgs[0].Addr}
			return &m
		}
	}
	return nil
}

// peerRead reads one datagram at a kernel peer within two seconds.
func peerRead(t *testing.T, c *net.UDPConn) (string, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("peer read: %v", err)
	}
	return string(buf[:n]), from
}

// steered fails the test unless the backend's map holds exactly want.
func steered(t *testing.T, e *env, want ...netip.AddrPort) {
	t.Helper()
	got, err := e.be.Endpoints()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, netip.AddrPort.Compare)
	slices.SortFunc(want, netip.AddrPort.Compare)
	if !slices.Equal(got, want) {
		t.Fatalf("steered endpoints %v, want %v", got, want)
	}
}

// TestDriverSpecs opens a transport of each shape the driver's conductor
// asks for and checks its address, its map entry, one datagram each way
// with a kernel peer, and that Close removes the entry.
func TestDriverSpecs(t *testing.T) {
	e := setup(t)
	a, b := e.a, e.b

	t.Run("unicast-publication", func(t *testing.T) {
		// No control address: the wildcard and an ephemeral port,
		// connected to the subscriber's endpoint.
		peer := kernelPeer(t, b, 30201, netip.Addr{})
		to := netip.AddrPortFrom(b.Addr(), 30201)
		tr := e.open(t, backend.Spec{Local: netip.MustParseAddrPort("0.0.0.0:0"), Connect: to})
		local := tr.LocalAddr()
		if local.Addr() != a.Addr() || local.Port() == 0 {
			t.Fatalf("local address %s, want %s with a chosen port", local, a.Addr())
		}
		steered(t, e, local)
		if n, err := tr.Send([]backend.Message{{Buf: []byte("data")}}); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		if got, from := peerRead(t, peer); got != "data" || from != local {
			t.Fatalf("peer got %q from %s", got, from)
		}
		// A stranger's datagram is not the connected peer's: dropped.
		sendFrom(t, b, 30202, local, "stranger")
		if m := receiveOne(t, tr, 300*time.Millisecond); m != nil {
			t.Fatalf("connected transport took %q from %s", m.Buf, m.Addr)
		}
		if _, err := peer.WriteToUDPAddrPort([]byte("status"), local); err != nil {
			t.Fatal(err)
		}
		if m := receiveOne(t, tr, 2*time.Second); m == nil || string(m.Buf) != "status" || m.Addr != to {
			t.Fatalf("received %+v, want status from %s", m, to)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		steered(t, e)
	})

	t.Run("unicast-subscription", func(t *testing.T) {
		// The conductor asks for the largest UDP payload on receive
		// endpoints: whatever arrives.
		local := netip.AddrPortFrom(a.Addr(), 20211)
		tr := e.open(t, backend.Spec{Local: local, MaxDatagram: 65504})
		steered(t, e, local)
		peer := kernelPeer(t, b, 30211, netip.Addr{})
		if _, err := peer.WriteToUDPAddrPort([]byte("data"), local); err != nil {
			t.Fatal(err)
		}
		m := receiveOne(t, tr, 2*time.Second)
		if m == nil || string(m.Buf) != "data" {
			t.Fatalf("received %+v", m)
		}
		// Status messages go back to the data's source.
		if n, err := tr.Send([]backend.Message{{Buf: []byte("status"), Addr: m.Addr}}); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		if got, from := peerRead(t, peer); got != "status" || from != local {
			t.Fatalf("peer got %q from %s", got, from)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		steered(t, e)
	})

	t.Run("mtu", func(t *testing.T) {
		// A publication's channel MTU over the link's is refused at
		// Open; a datagram over the link's MTU is refused at Send.
		to := netip.AddrPortFrom(b.Addr(), 30241)
		if tr, err := e.be.Open(backend.Spec{Local: netip.MustParseAddrPort("0.0.0.0:0"), Connect: to, MaxDatagram: 1500}); !errors.Is(err, netdev.ErrMTU) {
			if err == nil {
				tr.Close()
			}
			t.Fatalf("channel MTU 1500 on a 1500 link: %v", err)
		}
		tr := e.open(t, backend.Spec{Local: netip.MustParseAddrPort("0.0.0.0:0"), MaxDatagram: 65504})
		if n, err := tr.Send([]backend.Message{{Buf: make([]byte, 1473), Addr: to}}); n != 0 || !errors.Is(err, unix.EMSGSIZE) {
			t.Fatalf("send of 1473 bytes on a 1500 link: %d %v", n, err)
		}
		if n, err := tr.Send([]backend.Message{{Buf: make([]byte, 1472), Addr: to}}); n != 1 || err != nil {
			t.Fatalf("send of 1472 bytes on a 1500 link: %d %v", n, err)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		steered(t, e)
	})

	t.Run("wildcard-port", func(t *testing.T) {
		tr := e.open(t, backend.Spec{Local: netip.MustParseAddrPort("0.0.0.0:20221")})
		want := netip.AddrPortFrom(a.Addr(), 20221)
		if tr.LocalAddr() != want {
			t.Fatalf("local address %s, want %s", tr.LocalAddr(), want)
		}
		steered(t, e, want)
	})

	// Aeron's multicast: data to an odd group, control to the next one.
	data, control := netip.MustParseAddr("239.255.9.1"), netip.MustParseAddr("239.255.9.2")
	const port = 20231

	t.Run("multicast-publication", func(t *testing.T) {
		subData := kernelPeer(t, b, port, data)
		tr := e.open(t, backend.Spec{Local: netip.AddrPortFrom(control, port), Interface: a.Addr()})
		steered(t, e, netip.AddrPortFrom(control, port))
		if out, _ := a.Exec("ip", "maddr", "show", "dev", a.IfName()); !strings.Contains(out, control.String()) {
			t.Fatalf("the kernel did not join %s:\n%s", control, out)
		}
		if n, err := tr.Send([]backend.Message{{Buf: []byte("data"), Addr: netip.AddrPortFrom(data, port)}}); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		if got, from := peerRead(t, subData); got != "data" || from.Addr() != a.Addr() || from.Port() != port {
			t.Fatalf("peer got %q from %s", got, from)
		}
		sendFrom(t, b, port+1, netip.AddrPortFrom(control, port), "status")
		if m := receiveOne(t, tr, 2*time.Second); m == nil || string(m.Buf) != "status" || m.Addr.Addr() != b.Addr() {
			t.Fatalf("received %+v", m)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		steered(t, e)
	})

	t.Run("multicast-subscription", func(t *testing.T) {
		pubControl := kernelPeer(t, b, port+2, control)
		tr := e.open(t, backend.Spec{Local: netip.AddrPortFrom(data, port+2), Interface: a.Addr()})
		steered(t, e, netip.AddrPortFrom(data, port+2))
		sendFrom(t, b, port+3, netip.AddrPortFrom(data, port+2), "data")
		if m := receiveOne(t, tr, 2*time.Second); m == nil || string(m.Buf) != "data" {
			t.Fatalf("received %+v", m)
		}
		if n, err := tr.Send([]backend.Message{{Buf: []byte("status"), Addr: netip.AddrPortFrom(control, port+2)}}); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		if got, _ := peerRead(t, pubControl); got != "status" {
			t.Fatalf("peer got %q", got)
		}
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		steered(t, e)
		if out, _ := a.Exec("ip", "maddr", "show", "dev", a.IfName()); strings.Contains(out, data.String()) {
			t.Fatalf("still a member of %s after Close:\n%s", data, out)
		}
	})
}
