//go:build dpdk

package dpdk

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	dpdkb "github.com/aeron-bypass/aeron-bypass/backend/dpdk"
	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func listenUDP(t *testing.T, h *netns.Host, addr string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	if err := h.Run(func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readN reads count datagrams "prefix i" in order.
func readN(t *testing.T, c *net.UDPConn, count int, prefix string) {
	t.Helper()
	buf := make([]byte, 2048)
	for i := 0; i < count; i++ {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i, count, err)
		}
		if want := fmt.Sprintf("%s %d", prefix, i); string(buf[:n]) != want {
			t.Fatalf("got %q, want %q", buf[:n], want)
		}
	}
}

// TestUnicastBothWaysARPAndPing: the peer's kernel resolves our address by
// ARP (only the backend can answer: the veth has no address), sends
// datagrams the backend echoes back, and pings us.
func TestUnicastBothWaysARPAndPing(t *testing.T) {
	e := setup(t, "", 0)
	unicastEcho(t, e, 500)
	out, err := e.b.Exec("ip", "neigh", "show", dpdkAddr)
	if err != nil || !strings.Contains(out, e.mac) {
		t.Fatalf("peer's neighbour entry for us %q (want %s): %v", out, e.mac, err)
	}
	// ping succeeds on one reply of three; all three must come back.
	if out, err := e.b.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", dpdkAddr); err != nil || !strings.Contains(out, " 3 received") {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	stats := e.child.do("stats")
	t.Logf("stats %s", stats)
	if !strings.Contains(stats[0], `"EchoReplies":3`) {
		t.Fatalf("echo replies: %s", stats)
	}
	// What the backend would capture from the peer's side of the link,
	// were it the one to take over: address, gateway, neighbours.
	if _, err := e.b.Exec("ip", "route", "add", "default", "via", dpdkAddr); err != nil {
		t.Fatal(err)
	}
	var n dpdkb.Network
	if err := e.b.Run(func() (err error) { n, err = dpdkb.Capture(e.b.IfName()); return err }); err != nil {
		t.Fatal(err)
	}
	if n.Address.String() != peerAddr+"/24" || n.Gateway.String() != dpdkAddr || n.Neighbours[netip.MustParseAddr(dpdkAddr)].String() != e.mac {
		t.Fatalf("captured %+v", n)
	}
}

// TestTwoQueues: the same exchange with the vdev's two queue pairs, which
// the backend polls in turn.
func TestTwoQueues(t *testing.T) {
	e := setupQueues(t, "", 0, 2)
	unicastEcho(t, e, 200)
}

// unicastEcho has the peer send count datagrams, one at a time, that the
// backend echoes.
func unicastEcho(t *testing.T, e *env, count int) {
	t.Helper()
	e.child.do("open %s:20121", dpdkAddr)
	peer := listenUDP(t, e.b, peerAddr+":30001")
	to := netip.MustParseAddrPort(dpdkAddr + ":20121")
	if _, err := fmt.Fprintf(e.child.in, "echo 0 %d\n", count); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDPAddrPort([]byte(fmt.Sprintf("to dpdk %d", i)), to); err != nil {
			t.Fatal(err)
		}
		// One in flight at a time: the peer's socket never overflows
		// and order is checked end to end.
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if want := fmt.Sprintf("echo to dpdk %d", i); string(buf[:n]) != want || from != to {
			t.Fatalf("got %q from %s, want %q from %s", buf[:n], from, want, to)
		}
	}
	if r := e.child.reply(10 * time.Second); r != fmt.Sprintf("ok %d", count) {
		t.Fatalf("echo: %s", r)
	}
}

// TestNextHopResolution: the backend sends first, so it must resolve the
// peer by ARP itself; then to an address behind the peer through the
// configured gateway; an address nobody answers for fails in bounded time.
func TestNextHopResolution(t *testing.T) {
	e := setup(t, peerAddr, 0)
	// The peer also owns 198.19.0.5, off our link: reachable only
	// through the gateway.
	if _, err := e.b.Exec("ip", "addr", "add", "198.19.0.5/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	onLink := listenUDP(t, e.b, peerAddr+":30002")
	behind := listenUDP(t, e.b, "198.19.0.5:30003")
	e.child.do("open 0.0.0.0:0")
	if r := e.child.do("send 0 %s:30002 100 first", peerAddr); r[0] != "100" {
		t.Fatalf("sent %s", r)
	}
	readN(t, onLink, 100, "first")
	peerMAC := ""
	if out, err := e.b.Exec("cat", "/sys/class/net/"+e.b.IfName()+"/address"); err == nil {
		peerMAC = strings.TrimSpace(out)
	}
	if r := e.child.do("neigh %s", peerAddr); r[0] != peerMAC {
		t.Fatalf("resolved %s, want %s", r[0], peerMAC)
	}
	if r := e.child.do("send 0 198.19.0.5:30003 100 routed"); r[0] != "100" {
		t.Fatalf("sent %s", r)
	}
	readN(t, behind, 100, "routed")
	start := time.Now()
	if r := e.child.try("send 0 198.18.0.77:9 1 nobody"); !strings.HasPrefix(r, "error") || !strings.Contains(r, "did not answer ARP") {
		t.Fatalf("send to nobody: %s", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("resolution failure took %v", d)
	}
	// And the peer's datagrams reach the ephemeral endpoint.
	local := netip.MustParseAddrPort(strings.Fields(e.child.do("open %s:20131", dpdkAddr)[1])[0])
	for i := 0; i < 50; i++ {
		if _, err := onLink.WriteToUDPAddrPort([]byte(fmt.Sprintf("back %d", i)), local); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.child.do("recv 1 50 back"); r[0] != "50" {
		t.Fatalf("received %s", r)
	}
}

// capture opens a packet socket for IPv4 on the peer's veth.
func capture(t *testing.T, h *netns.Host) int {
	t.Helper()
	return captureEther(t, h, unix.ETH_P_IP)
}

// captureEther opens a packet socket for one EtherType on the peer's veth,
// its reads bounded by a 200 ms timeout.
func captureEther(t *testing.T, h *netns.Host, etherType uint16) int {
	t.Helper()
	var fd int
	if err := h.Run(func() error {
		ifc, err := net.InterfaceByName(h.IfName())
		if err != nil {
			return err
		}
		proto := int(htons(etherType))
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return err
		}
		tv := unix.Timeval{Usec: 200000}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: uint16(proto), Ifindex: ifc.Index})
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// waitIGMP reads frames until an IGMP message matching want arrives.
func waitIGMP(t *testing.T, fd int, want func(*frame.IGMPMessage) bool) frame.IGMPMessage {
	t.Helper()
	buf := make([]byte, 2048)
	var p frame.IPv4Packet
	m := frame.IGMPMessage{Records: make([]frame.IGMPRecord, 0, 8)}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue
		}
		if frame.ParseIPv4(buf[:n], &p) == nil && p.Protocol == frame.ProtocolIGMP && frame.ParseIGMP(&p, &m) == nil && want(&m) {
			return m
		}
	}
	t.Fatal("no matching IGMP message")
	return m
}

// TestMulticastJoinSendsIGMP: opening a multicast endpoint sends a
// membership report (version 3, then version 2 when configured), the
// group's datagrams arrive, and closing it leaves.
func TestMulticastJoinSendsIGMP(t *testing.T) {
	for _, version := range []int{3, 2} {
		t.Run("v"+strconv.Itoa(version), func(t *testing.T) {
			e := setup(t, "", version)
			group := netip.MustParseAddr("239.255.0.1")
			fd := capture(t, e.b)
			e.child.do("open %s:40456", group)
			m := waitIGMP(t, fd, func(m *frame.IGMPMessage) bool {
				if version == 3 {
					return m.Type == frame.IGMPv3Report && len(m.Records) == 1 && m.Records[0].Group == group &&
						m.Records[0].Type == frame.IGMPChangeToExclude
				}
				return m.Type == frame.IGMPv2Report && m.Group == group
			})
			t.Logf("join: %+v", m)
			if _, err := e.b.Exec("ip", "route", "add", "224.0.0.0/4", "dev", e.b.IfName()); err != nil {
				t.Fatal(err)
			}
			sender := listenUDP(t, e.b, peerAddr+":30004")
			for i := 0; i < 50; i++ {
				if _, err := sender.WriteToUDPAddrPort([]byte(fmt.Sprintf("group %d", i)), netip.AddrPortFrom(group, 40456)); err != nil {
					t.Fatal(err)
				}
			}
			if r := e.child.do("recv 0 50 group"); r[0] != "50" {
				t.Fatalf("received %s", r)
			}
			e.child.do("close 0")
			waitIGMP(t, fd, func(m *frame.IGMPMessage) bool {
				if version == 3 {
					return m.Type == frame.IGMPv3Report && len(m.Records) == 1 && m.Records[0].Type == frame.IGMPChangeToInclude
				}
				return m.Type == frame.IGMPv2Leave && m.Group == group
			})
		})
	}
}

// TestDatapathDoesNotAllocate: bursts sent through the backend and echoed
// back by the peer allocate nothing, in either direction.
func TestDatapathDoesNotAllocate(t *testing.T) {
	e := setup(t, "", 0)
	e.child.do("open %s:20141", dpdkAddr)
	peer := listenUDP(t, e.b, peerAddr+":30005")
	done := make(chan struct{})
	defer close(done)
	go func() {
		buf := make([]byte, 2048)
		for {
			select {
			case <-done:
				return
			default:
			}
			_ = peer.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, from, err := peer.ReadFromUDPAddrPort(buf)
			if err == nil {
				_, _ = peer.WriteToUDPAddrPort(buf[:n], from)
			}
		}
	}()
	r := e.child.do("allocs 0 %s:30005", peerAddr)
	t.Logf("allocations per burst %s, datagrams echoed %s", r[0], r[1])
	if r[0] != "0" {
		t.Fatalf("%s allocations per burst", r[0])
	}
}

// TestStaleNeighbour: the peer's MAC changes and it says nothing (Linux
// sends no gratuitous ARP by default). The backend's datagrams go to the
// old MAC, which the peer drops, until the entry passes its reachable
// time, its unicast probes to the old MAC go unanswered and it is
// resolved afresh by broadcast; then they arrive again.
func TestStaleNeighbour(t *testing.T) {
	e := setupChild(t, func(c *childConfig) { c.Reachable = time.Second })
	peer := listenUDP(t, e.b, peerAddr+":30004")
	e.child.do("open %s:20141", dpdkAddr)
	if r := e.child.do("send 0 %s:30004 10 before", peerAddr); r[0] != "10" {
		t.Fatalf("sent %s", r)
	}
	readN(t, peer, 10, "before")
	const newMAC = "02:00:5e:10:00:42"
	if _, err := e.b.Exec("ip", "link", "set", "dev", e.b.IfName(), "address", newMAC); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("no datagram reached the peer's new MAC in %v (%d attempts)", time.Since(start), attempt)
		}
		e.child.do("send 0 %s:30004 1 after", peerAddr)
		_ = peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, err := peer.Read(buf); err == nil && string(buf[:n]) == "after 0" {
			break
		}
	}
	t.Logf("reached the new MAC after %v", time.Since(start))
	if r := e.child.do("neigh %s", peerAddr); r[0] != newMAC {
		t.Fatalf("neighbour %s, want %s", r[0], newMAC)
	}
}
