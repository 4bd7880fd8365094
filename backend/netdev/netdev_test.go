package netdev

import (
	"errors"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// open opens host h's namespace from a thread inside it; the test then
// uses it from its own thread, outside.
func open(t *testing.T, h *netns.Host) *Namespace {
	t.Helper()
	var n *Namespace
	if err := h.Run(func() (err error) { n, err = Open(); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func TestLookupAndRoutes(t *testing.T) {
	nw := netns.New(t, netns.Options{Hosts: 3})
	a, r, b := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	n := open(t, a)
	ifc, err := n.Lookup(a.IfName())
	if err != nil {
		t.Fatal(err)
	}
	if ifc.Name != a.IfName() || ifc.Addr != a.Addr() || len(ifc.Addrs) != 1 || ifc.Addrs[0] != a.Addr() || ifc.MTU != 1500 || !ifc.Up || ifc.RxQueues != 1 || ifc.Index == 0 {
		t.Fatalf("interface %+v", ifc)
	}
	out, err := a.Exec("cat", "/sys/class/net/"+a.IfName()+"/address")
	if err != nil || !strings.EqualFold(strings.TrimSpace(out), net.HardwareAddr(ifc.MAC[:]).String()) {
		t.Fatalf("MAC %s, ip says %q (%v)", ifc.MAC, out, err)
	}
	if got, err := n.ForAddr(a.Addr()); err != nil || !reflect.DeepEqual(got, ifc) {
		t.Fatalf("by address: %+v %v", got, err)
	}
	if _, err := n.ForAddr(netip.MustParseAddr("198.18.0.99")); err == nil {
		t.Fatal("found an interface for an address nobody holds")
	}
	if _, err := n.Lookup("lo"); err == nil || !strings.Contains(err.Error(), "no Ethernet address") {
		t.Fatalf("lo: %v", err)
	}
	if _, err := n.Lookup("missing0"); err == nil || !strings.Contains(err.Error(), "missing0") {
		t.Fatalf("missing interface: %v", err)
	}

	// B is two hops away: the route names A's veth and R as gateway.
	rt, err := n.Route(b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if rt.Index != ifc.Index || rt.Gateway != r.Links[0].Addr.Addr() || rt.NextHop() != rt.Gateway || rt.Src != a.Addr() {
		t.Fatalf("route to %s: %+v", b.Addr(), rt)
	}
	if rt, err := n.Route(r.Links[0].Addr.Addr()); err != nil || rt.Gateway.IsValid() || rt.NextHop() != r.Links[0].Addr.Addr() {
		t.Fatalf("on-link route %+v %v", rt, err)
	}
	if got, err := n.ForDestination(b.Addr()); err != nil || got.Name != a.IfName() {
		t.Fatalf("interface towards %s: %+v %v", b.Addr(), got, err)
	}
	if _, err := n.Route(netip.MustParseAddr("198.19.255.1")); err == nil || !strings.Contains(err.Error(), "198.19.255.1") {
		t.Fatalf("route with no route: %v", err)
	}

	// R's two links: the interface is chosen by destination.
	nr := open(t, r)
	for _, l := range r.Links {
		got, err := nr.ForDestination(l.Peer)
		if err != nil || got.Name != l.IfName {
			t.Fatalf("towards %s: %+v %v, want %s", l.Peer, got, err, l.IfName)
		}
	}
	c, err := n.Channels(a.IfName())
	if err != nil || c.RxQueues() != 1 {
		t.Fatalf("channels %+v %v", c, err)
	}
}

// sysctl sets a value under /proc/sys in host h's namespace.
func sysctl(t *testing.T, h *netns.Host, kv string) {
	t.Helper()
	if _, err := h.Exec("sysctl", "-qw", kv); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond every few milliseconds for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func TestResolverFollowsNeighbour(t *testing.T) {
	nw := netns.New(t, netns.Options{})
	a, b := nw.Hosts[0], nw.Hosts[1]
	n := open(t, a)
	ifc, err := n.Lookup(a.IfName())
	if err != nil {
		t.Fatal(err)
	}
	nb := open(t, b)
	bIfc, err := nb.Lookup(b.IfName())
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.NewResolver(ifc)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	e, err := r.Resolve(b.Addr(), 3*time.Second)
	if err != nil {
		out, _ := a.Exec("ip", "neigh")
		t.Fatalf("%v\n%s", err, out)
	}
	if mac, ok := e.MAC(); !ok || mac != bIfc.MAC || e.Addr() != b.Addr() {
		t.Fatalf("resolved %s %v, want %s", mac, ok, bIfc.MAC)
	}
	if again, err := r.Resolve(b.Addr(), time.Second); err != nil || again != e {
		t.Fatalf("second resolve %p %v, want the same entry %p", again, err, e)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = e.MAC() }); allocs != 0 {
		t.Fatalf("MAC allocates %v times", allocs)
	}

	g := netip.MustParseAddr("239.255.0.1")
	if ge, err := r.Resolve(g, time.Second); err != nil {
		t.Fatal(err)
	} else if m, ok := ge.MAC(); !ok || m != frame.MulticastMAC(g) {
		t.Fatalf("multicast %s %v", m, ok)
	}

	// Nobody holds this address: resolution times out, saying so.
	ghost := netip.MustParseAddr("198.18.0.77")
	start := time.Now()
	_, err = r.Resolve(ghost, 500*time.Millisecond)
	if !errors.Is(err, ErrUnresolved) || !strings.Contains(err.Error(), ghost.String()) {
		t.Fatalf("resolving %s: %v", ghost, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("failure took %v", d)
	}
	t.Logf("unresolved: %v", err)

	// B changes its MAC and announces it (arp_notify): the entry follows.
	sysctl(t, b, "net.ipv4.conf."+b.IfName()+".arp_notify=1")
	newMAC := net.HardwareAddr{0x02, 0xab, 0x00, 0x00, 0x00, 0x42}
	if err := b.Run(func() error {
		l, err := netlink.LinkByName(b.IfName())
		if err != nil {
			return err
		}
		return netlink.LinkSetHardwareAddr(l, newMAC)
	}); err != nil {
		t.Fatal(err)
	}
	if !waitFor(3*time.Second, func() bool { m, ok := e.MAC(); return ok && net.HardwareAddr(m[:]).String() == newMAC.String() }) {
		m, ok := e.MAC()
		out, _ := a.Exec("ip", "neigh")
		t.Fatalf("entry %s %v state %s after the MAC changed to %s\n%s", m, ok, stateName(e.State()), newMAC, out)
	}

	// B drops its address: with short neighbour timers on A, the entry
	// goes stale, the Resolver asks for confirmation, and it fails.
	for _, kv := range []string{"base_reachable_time_ms=200", "delay_first_probe_time=1", "retrans_time_ms=100"} {
		sysctl(t, a, "net.ipv4.neigh."+a.IfName()+"."+kv)
	}
	if _, err := b.Exec("ip", "addr", "flush", "dev", b.IfName()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { _, ok := e.MAC(); return !ok }) {
		out, _ := a.Exec("ip", "neigh")
		t.Fatalf("entry still usable, state %s, after the peer went away\n%s", stateName(e.State()), out)
	}
	t.Logf("after the peer went away: state %s", stateName(e.State()))

	// B comes back: the Resolver keeps asking for a peer it once knew.
	if _, err := b.Exec("ip", "addr", "add", b.Links[0].Addr.String(), "dev", b.IfName()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { m, ok := e.MAC(); return ok && net.HardwareAddr(m[:]).String() == newMAC.String() }) {
		out, _ := a.Exec("ip", "neigh")
		t.Fatalf("entry not usable again, state %s, after the peer came back\n%s", stateName(e.State()), out)
	}
	if r.Errors.Load() != 0 {
		t.Fatalf("%d errors following the table", r.Errors.Load())
	}
}

func TestPrepareAndRestore(t *testing.T) {
	nw := netns.New(t, netns.Options{})
	a := nw.Hosts[0]
	n := open(t, a)
	if _, err := a.Exec("ip", "link", "set", a.IfName(), "down"); err != nil {
		t.Fatal(err)
	}
	s, err := n.Prepare(a.IfName(), SetupOptions{MaxFrame: 2048 - 256, ChannelMTU: 1408, Queues: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interface.Up || s.Interface.RxQueues != 2 {
		t.Fatalf("prepared %+v", s.Interface)
	}
	if err := s.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(); err != nil {
		t.Fatalf("second restore: %v", err)
	}
	ifc, err := n.Lookup(a.IfName())
	if err != nil || ifc.Up || ifc.RxQueues != 1 {
		t.Fatalf("after restore %+v %v", ifc, err)
	}

	// A link that is already up stays up.
	if _, err := a.Exec("ip", "link", "set", a.IfName(), "up"); err != nil {
		t.Fatal(err)
	}
	if s, err = n.Prepare(a.IfName(), SetupOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restore(); err != nil {
		t.Fatal(err)
	}
	if ifc, err := n.Lookup(a.IfName()); err != nil || !ifc.Up {
		t.Fatalf("after restore %+v %v", ifc, err)
	}

	// MTUs that do not fit are refused, with the numbers, and nothing
	// changes.
	if _, err := n.Prepare(a.IfName(), SetupOptions{MaxFrame: 1024}); !errors.Is(err, ErrMTU) ||
		!strings.Contains(err.Error(), "lower it to 1010") {
		t.Fatalf("MTU above the frame: %v", err)
	}
	if _, err := n.Prepare(a.IfName(), SetupOptions{ChannelMTU: 1480}); !errors.Is(err, ErrMTU) ||
		!strings.Contains(err.Error(), "channel MTU 1480") || !strings.Contains(err.Error(), "1472") {
		t.Fatalf("channel MTU above the interface's: %v", err)
	}
	if _, err := n.Prepare(a.IfName(), SetupOptions{Queues: 64}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("too many queues: %v", err)
	}
	if ifc, err := n.Lookup(a.IfName()); err != nil || !ifc.Up || ifc.RxQueues != 1 {
		t.Fatalf("after refusals %+v %v", ifc, err)
	}
	if _, err := n.Prepare("missing0", SetupOptions{}); err == nil || !strings.Contains(err.Error(), "missing0") {
		t.Fatalf("missing interface: %v", err)
	}
}

// BenchmarkNeighbourMAC is the send path's per-datagram read of a next
// hop's MAC while another goroutine rewrites the entry, as the follower
// does when the kernel's table changes.
func BenchmarkNeighbourMAC(b *testing.B) {
	e := &Neighbour{hop: netip.MustParseAddr("198.18.0.2")}
	e.set(netlink.NUD_REACHABLE, net.HardwareAddr{2, 0, 0, 0, 0, 1})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		hw := [2]net.HardwareAddr{{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				e.set(netlink.NUD_REACHABLE, hw[i%2])
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := e.MAC(); !ok {
			b.Fatal("entry unusable")
		}
	}
}
