package xdp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// udpInDatagrams reads Udp InDatagrams of the calling thread's namespace.
func udpInDatagrams() (uint64, error) {
	b, err := os.ReadFile("/proc/thread-self/net/snmp")
	if err != nil {
		return 0, err
	}
	var header []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if header == nil {
			header = f
			continue
		}
		for i, h := range header {
			if h == "InDatagrams" && i < len(f) {
				return strconv.ParseUint(f[i], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no Udp InDatagrams")
}

func inNS(t *testing.T, h *netns.Host, fn func() error) {
	t.Helper()
	if err := h.Run(fn); err != nil {
		t.Fatal(err)
	}
}

type env struct {
	a, b *netns.Host
	be   *xdpb.Backend
}

func setup(t *testing.T) *env {
	t.Helper()
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	e := &env{a: n.Hosts[0], b: n.Hosts[1]}
	inNS(t, e.a, func() error {
		var err error
		e.be, err = xdpb.New(backend.Options{Interface: e.a.IfName()})
		return err
	})
	t.Cleanup(func() { e.be.Close() })
	t.Logf("mode %s %s zero-copy %v", e.be.Mode, e.be.Reason, e.be.ZeroCopy())
	return e
}

// receiveInOrder receives count datagrams on tr within 10 s, the i-th
// reading fmt.Sprintf(format, i).
func receiveInOrder(t *testing.T, tr backend.Transport, count int, format string) {
	t.Helper()
	msgs := make([]backend.Message, 32)
	got := 0
	for deadline := time.Now().Add(10 * time.Second); got < count && time.Now().Before(deadline); {
		n, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs[:n] {
			if want := fmt.Sprintf(format, got); string(m.Buf) != want {
				t.Fatalf("received %q, want %q", m.Buf, want)
			}
			got++
		}
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if got != count {
		t.Fatalf("received %d of %d", got, count)
	}
}

// exchange sends count datagrams from peer to the transport and count back,
// checking contents and order.
func exchange(t *testing.T, tr backend.Transport, peer *net.UDPConn, to netip.AddrPort, back netip.AddrPort, count int) {
	t.Helper()
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDPAddrPort([]byte(fmt.Sprintf("to xdp %d", i)), to); err != nil {
			t.Fatal(err)
		}
	}
	receiveInOrder(t, tr, count, "to xdp %d")
	// Back in batches, each read before the next is sent, so that the
	// peer's socket buffer never overflows.
	out := make([]backend.Message, 0, 32)
	buf := make([]byte, 2048)
	for sent := 0; sent < count; {
		out = out[:0]
		for i := sent; i < count && len(out) < cap(out); i++ {
			out = append(out, backend.Message{Buf: []byte(fmt.Sprintf("from xdp %d", i)), Addr: back})
		}
		n, err := tr.Send(out)
		if err != nil {
			t.Fatal(err)
		}
		for i := sent; i < sent+n; i++ {
			_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, err := peer.Read(buf)
			if err != nil {
				t.Fatalf("peer datagram %d: %v", i, err)
			}
			if want := fmt.Sprintf("from xdp %d", i); string(buf[:m]) != want {
				t.Fatalf("peer got %q, want %q", buf[:m], want)
			}
		}
		sent += n
		if n < len(out) {
			time.Sleep(time.Millisecond)
		}
	}
}

func TestUnicastWithPingAndTCP(t *testing.T) {
	e := setup(t)
	local := netip.AddrPortFrom(e.a.Addr(), 20121)
	tr := e.open(t, backend.Spec{Local: local})
	peer := e.peer(t, 30001)
	// A TCP connection across the same veth, open during the exchange.
	var ln net.Listener
	inNS(t, e.a, func() error {
		var err error
		ln, err = net.Listen("tcp4", net.JoinHostPort(e.a.Addr().String(), "20122"))
		return err
	})
	defer ln.Close()
	var tcp net.Conn
	inNS(t, e.b, func() error {
		var err error
		tcp, err = net.DialTimeout("tcp4", net.JoinHostPort(e.a.Addr().String(), "20122"), 5*time.Second)
		return err
	})
	defer tcp.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var udpBefore uint64
	inNS(t, e.a, func() error { var err error; udpBefore, err = udpInDatagrams(); return err })
	before, _ := e.be.XDPStats()
	const count = 500
	exchange(t, tr, peer, local, netip.AddrPortFrom(e.b.Addr(), 30001), count)
	after, err := e.be.XDPStats()
	if err != nil {
		t.Fatal(err)
	}
	if after.Redirected-before.Redirected < count {
		t.Fatalf("xdp redirected %d, want >= %d", after.Redirected-before.Redirected, count)
	}
	var udpAfter uint64
	inNS(t, e.a, func() error { var err error; udpAfter, err = udpInDatagrams(); return err })
	if udpAfter-udpBefore >= count {
		t.Fatalf("kernel UDP received %d datagrams: ours went through it", udpAfter-udpBefore)
	}
	if out, err := e.b.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", e.a.Addr().String()); err != nil {
		t.Fatalf("ping during the run: %v\n%s", err, out)
	}
	if _, err := tcp.Write([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(srv, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("tcp: %v %q", err, buf)
	}
	st := e.be.Stats()
	if st.DatagramsIn != count || st.DatagramsOut != count {
		t.Fatalf("backend stats %+v", st)
	}
	t.Logf("xdp counters %+v, kernel UDP in %d during the run", after, udpAfter-udpBefore)
}

func TestMulticast(t *testing.T) {
	e := setup(t)
	group := netip.MustParseAddrPort("239.255.18.7:40456")
	if _, err := e.b.Exec("ip", "route", "add", "224.0.0.0/4", "dev", e.b.IfName()); err != nil {
		t.Fatal(err)
	}
	tr := e.open(t, backend.Spec{Local: group})
	var peer *net.UDPConn
	inNS(t, e.b, func() error {
		ifc, err := net.InterfaceByName(e.b.IfName())
		if err != nil {
			return err
		}
		peer, err = net.ListenMulticastUDP("udp4", ifc, net.UDPAddrFromAddrPort(group))
		return err
	})
	defer peer.Close()
	// The peer receives the group; it sends from an ephemeral socket so it
	// does not hear its own datagrams.
	sender := e.peer(t, 0)
	before, _ := e.be.XDPStats()
	const count = 200
	for i := 0; i < count; i++ {
		if _, err := sender.WriteToUDPAddrPort([]byte(fmt.Sprintf("to xdp %d", i)), group); err != nil {
			t.Fatal(err)
		}
	}
	receiveInOrder(t, tr, count, "to xdp %d")
	after, _ := e.be.XDPStats()
	if after.Redirected-before.Redirected < count {
		t.Fatalf("redirected %d", after.Redirected-before.Redirected)
	}
	out := []backend.Message{{Buf: []byte("group hello"), Addr: group}}
	if n, err := tr.Send(out); n != 1 || err != nil {
		t.Fatalf("send %d %v", n, err)
	}
	buf := make([]byte, 64)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("peer: %v", err)
		}
		if from.Addr() == e.a.Addr() {
			if string(buf[:n]) != "group hello" {
				t.Fatalf("peer got %q", buf[:n])
			}
			break
		}
	}
}

func TestProbeWithoutInterface(t *testing.T) {
	r := xdpb.Probe(backend.Options{})
	if r.Available || !strings.Contains(r.Reason, "no interface configured (set --interface)") {
		t.Fatalf("probe %+v", r)
	}
	// An interface the backend cannot drive (no Ethernet address).
	r = xdpb.Probe(backend.Options{Interface: "lo"})
	if r.Available || !strings.Contains(r.Reason, "interface unusable") {
		t.Fatalf("probe on lo %+v", r)
	}
}

// TestProbeWithoutPrivileges runs the probe as nobody in a child process.
func TestProbeWithoutPrivileges(t *testing.T) {
	if os.Getenv("XDP_PROBE_CHILD") == "1" {
		r := xdpb.Probe(backend.Options{Interface: "lo"})
		fmt.Printf("available=%v reason=%s\n", r.Available, r.Reason)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a child without privileges")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all",
		exe, "-test.run=^TestProbeWithoutPrivileges$")
	cmd.Env = append(os.Environ(), "XDP_PROBE_CHILD=1")
	cmd.WaitDelay = 10 * time.Second
	out, _ := cmd.CombinedOutput()
	s := string(out)
	if !strings.Contains(s, "available=false") || !strings.Contains(s, "CAP_NET_ADMIN") || !strings.Contains(s, "CAP_BPF") {
		t.Fatalf("probe as nobody:\n%s", s)
	}
}

// TestWildcardEndpoint: an endpoint opened on 0.0.0.0 takes datagrams to
// every address of the interface, all through AF_XDP, and gives the
// addresses back to Linux on close.
func TestWildcardEndpoint(t *testing.T) {
	e := setup(t)
	a4 := e.a.Addr().As4()
	a4[3] = 111
	second := netip.AddrFrom4(a4)
	if _, err := e.a.Exec("ip", "addr", "add", second.String()+"/32", "dev", e.a.IfName()); err != nil {
		t.Fatal(err)
	}
	tr := e.open(t, backend.Spec{Local: netip.MustParseAddrPort("0.0.0.0:20125")})
	if got := tr.LocalAddr(); got != netip.AddrPortFrom(e.a.Addr(), 20125) {
		t.Fatalf("local address %s", got)
	}
	steered, err := e.be.Endpoints()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("steered %v", steered)
	peer := e.peer(t, 30005)
	before, _ := e.be.XDPStats()
	const count = 100
	for i := 0; i < 2*count; i++ {
		to := netip.AddrPortFrom(e.a.Addr(), 20125)
		if i%2 == 1 {
			to = netip.AddrPortFrom(second, 20125)
		}
		if _, err := peer.WriteToUDPAddrPort([]byte(strconv.Itoa(i)), to); err != nil {
			t.Fatal(err)
		}
	}
	msgs := make([]backend.Message, 32)
	// In order per address: each address's first datagrams wait for its
	// own ARP answer at the peer, so the two streams may interleave
	// differently from how they were sent.
	got, next := 0, [2]int{0, 1}
	for deadline := time.Now().Add(10 * time.Second); got < 2*count && time.Now().Before(deadline); {
		n, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs[:n] {
			i, err := strconv.Atoi(string(m.Buf))
			if err != nil || i < 0 || i != next[i%2] {
				t.Fatalf("received %q, want %d or %d", m.Buf, next[0], next[1])
			}
			next[i%2] += 2
			got++
		}
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	after, _ := e.be.XDPStats()
	if got != 2*count || after.Redirected-before.Redirected < 2*count {
		t.Fatalf("received %d of %d, %d redirected", got, 2*count, after.Redirected-before.Redirected)
	}

	// An address added while the endpoint is open is taken, and one
	// removed is let go, as a kernel socket bound to 0.0.0.0 would.
	a4[3] = 112
	third := netip.AddrFrom4(a4)
	if _, err := e.a.Exec("ip", "addr", "add", third.String()+"/32", "dev", e.a.IfName()); err != nil {
		t.Fatal(err)
	}
	waitBackendSteers(t, e.be, netip.AddrPortFrom(third, 20125), true)
	before, _ = e.be.XDPStats()
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDPAddrPort([]byte("late"+strconv.Itoa(i)), netip.AddrPortFrom(third, 20125)); err != nil {
			t.Fatal(err)
		}
	}
	receiveInOrder(t, tr, count, "late%d")
	after, _ = e.be.XDPStats()
	if after.Redirected-before.Redirected < count {
		t.Fatalf("to the added address: %d redirected of %d", after.Redirected-before.Redirected, count)
	}
	if _, err := e.a.Exec("ip", "addr", "del", second.String()+"/32", "dev", e.a.IfName()); err != nil {
		t.Fatal(err)
	}
	waitBackendSteers(t, e.be, netip.AddrPortFrom(second, 20125), false)

	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := e.be.Endpoints(); len(left) != 0 {
		t.Fatalf("still steered after close: %v", left)
	}
}

// waitBackendSteers waits until the XDP program does, or does not, steer ap.
func waitBackendSteers(t *testing.T, be *xdpb.Backend, ap netip.AddrPort, want bool) {
	t.Helper()
	var steered []netip.AddrPort
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if steered, err = be.Endpoints(); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(steered, ap) == want {
			return
		}
	}
	t.Fatalf("steered %v: %s there is %v, want %v", steered, ap, !want, want)
}

// TestFragmentsThroughKernelSocket: a datagram larger than the link's MTU
// arrives as IP fragments, which the program leaves to Linux; Linux
// reassembles it and delivers it to the endpoint's kernel socket, where
// the transport reads it, so nothing the driver is sent is lost.
func TestFragmentsThroughKernelSocket(t *testing.T) {
	e := setup(t)
	local := netip.AddrPortFrom(e.a.Addr(), 20131)
	tr := e.open(t, backend.Spec{Local: local, MaxDatagram: 65504})
	peer := e.peer(t, 30006)
	before, _ := e.be.XDPStats()
	viaKernel := e.be.ViaKernel()
	const count = 20
	payload := func(i int) []byte {
		if i%2 == 0 {
			return []byte(fmt.Sprintf("small %d", i))
		}
		return append([]byte(fmt.Sprintf("large %d ", i)), bytes.Repeat([]byte{byte(i)}, 4000)...)
	}
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDPAddrPort(payload(i), local); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	msgs := make([]backend.Message, 8)
	for deadline := time.Now().Add(10 * time.Second); len(seen) < count && time.Now().Before(deadline); {
		n, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs[:n] {
			if m.Addr != netip.AddrPortFrom(e.b.Addr(), 30006) {
				t.Fatalf("datagram from %s", m.Addr)
			}
			seen[string(m.Buf)] = true
		}
		if n == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	for i := 0; i < count; i++ {
		if !seen[string(payload(i))] {
			t.Fatalf("datagram %d (%d bytes) lost; %d of %d arrived", i, len(payload(i)), len(seen), count)
		}
	}
	after, _ := e.be.XDPStats()
	if k := e.be.ViaKernel() - viaKernel; k < count/2 || after.Redirected-before.Redirected < count/2 {
		t.Fatalf("%d through the kernel socket, %d redirected: want the large ones through Linux, the small through AF_XDP", k, after.Redirected-before.Redirected)
	}
	// Reading the kernel socket on an idle endpoint allocates nothing.
	if n := testing.AllocsPerRun(4*64, func() { _, _ = tr.Receive(msgs) }); n != 0 {
		t.Fatalf("idle Receive: %v allocations", n)
	}
}

// open opens an endpoint on the backend, closed when the test ends.
func (e *env) open(t *testing.T, spec backend.Spec) backend.Transport {
	t.Helper()
	tr, err := e.be.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// peer is a kernel UDP socket on host b (port 0: any), closed when the
// test ends.
func (e *env) peer(t *testing.T, port uint16) *net.UDPConn {
	t.Helper()
	return kernelPeer(t, e.b, port, netip.Addr{})
}
