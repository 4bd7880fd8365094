//go:build dpdk

package dpdk

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestAeronUnicastWithJava carries 3000 messages of 0 bytes to several
// MTUs over a 64 KiB term (the log rotates dozens of times) each way
// between our driver on DPDK and Aeron's Java driver on kernel UDP.
//
// Ours sends first on a fresh link, so the backend must resolve the Java
// host by ARP itself. Then the Java host forgets its neighbours and sends:
// its kernel must resolve our address, and only the backend can answer,
// since the veth has no Linux address. A packet socket on the Java host's
// veth sees both conversations.
func TestAeronUnicastWithJava(t *testing.T) {
	e := setupAeron(t, nil, nil)
	arp := captureEther(t, e.b, unix.ETH_P_ARP)
	us, peer := netip.MustParseAddr(ourAddr), e.b.Addr()

	toJava := fmt.Sprintf("aeron:udp?endpoint=%s:40457|term-length=64k", peer)
	mixedExchange(t, e.ours, e.java, toJava, 1002, 3000, 4000, 11)
	seen := readARP(arp)
	if !hasARP(seen, frame.ARPRequest, e.mac, us, peer) {
		t.Fatalf("no ARP request from the backend (%s) for %s; seen %v", e.mac, peer, seen)
	}

	if _, err := e.b.Exec("ip", "neigh", "flush", "dev", e.b.IfName()); err != nil {
		t.Fatal(err)
	}
	toUs := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", ourAddr)
	mixedExchange(t, e.java, e.ours, toUs, 1001, 3000, 4000, 7)
	seen = readARP(arp)
	// The Java host learns our MAC from the backend's reply to its
	// request, or, if the backend happened to re-probe the Java host
	// after the flush, from that request (Linux takes the sender of an
	// ARP request for its address as a neighbour); the entry below says
	// which MAC it learned either way.
	if !hasARP(seen, frame.ARPReply, e.mac, us, peer) && !hasARP(seen, frame.ARPRequest, e.mac, us, peer) {
		t.Fatalf("no ARP reply from the backend (%s) to %s; seen %v", e.mac, peer, seen)
	}
	out, err := e.b.Exec("ip", "neigh", "show", ourAddr, "dev", e.b.IfName())
	if err != nil || !strings.Contains(out, "lladdr "+e.mac) {
		t.Fatalf("the Java host's neighbour entry for %s is %q, want lladdr %s: %v", ourAddr, strings.TrimSpace(out), e.mac, err)
	}
	t.Logf("Java host's neighbour entry: %s", strings.TrimSpace(out))
}

// readARP reads the ARP messages a packet socket holds, until it has been
// quiet for its read timeout (at most 1000 messages).
func readARP(fd int) []frame.ARP {
	var seen []frame.ARP
	buf := make([]byte, 2048)
	for len(seen) < 1000 {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return seen
		}
		var a frame.ARP
		if frame.ParseARP(buf[:n], &a) == nil {
			seen = append(seen, a)
		}
	}
	return seen
}

// hasARP reports whether seen holds a message of type op sent by mac for
// sender about target.
func hasARP(seen []frame.ARP, op uint16, mac string, sender, target netip.Addr) bool {
	for _, a := range seen {
		if a.Op == op && a.SenderMAC.String() == mac && a.SenderIP == sender && a.TargetIP == target {
			return true
		}
	}
	return false
}

// TestAeronLossRecovery has our driver lose 5% of the datagrams it sends
// and receives over the vdev, through its loss interceptor configured as
// Aeron's C driver's, data and control alike. Each direction must still
// deliver every message once and in order, and the counters must show the
// recovery: the subscriber's driver sent NAKs, the publisher's received
// them and retransmitted.
func TestAeronLossRecovery(t *testing.T) {
	e := setupAeron(t, []string{
		"AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS=loss",
		"AERON_UDP_CHANNEL_OUTGOING_INTERCEPTORS=loss",
		"AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_LOSS_ARGS=rate=0.05|seed=41",
	}, nil)
	toJava := fmt.Sprintf("aeron:udp?endpoint=%s:40457|term-length=64k", e.b.Addr())
	before := [2]map[string]int64{aeronjava.SystemCounters(t, e.ours.dir), aeronjava.SystemCounters(t, e.java.dir)}
	mixedExchange(t, e.ours, e.java, toJava, 1002, 3000, 4000, 13)
	requireRecovery(t, e.ours, e.java, before[0], before[1])

	toUs := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", ourAddr)
	before = [2]map[string]int64{aeronjava.SystemCounters(t, e.ours.dir), aeronjava.SystemCounters(t, e.java.dir)}
	mixedExchange(t, e.java, e.ours, toUs, 1001, 3000, 4000, 17)
	requireRecovery(t, e.java, e.ours, before[1], before[0])
}

// requireRecovery checks that, since the counters pubBefore and subBefore
// were read, the subscriber's driver sent NAKs and the publisher's
// received NAKs and retransmitted.
func requireRecovery(t *testing.T, pubD, subD *netDriver, pubBefore, subBefore map[string]int64) {
	t.Helper()
	pub, sub := aeronjava.SystemCounters(t, pubD.dir), aeronjava.SystemCounters(t, subD.dir)
	naksSent := sub["NAKs sent"] - subBefore["NAKs sent"]
	naksReceived := pub["NAKs received"] - pubBefore["NAKs received"]
	retransmits := pub["Retransmits sent"] - pubBefore["Retransmits sent"]
	t.Logf("%s -> %s: subscriber side NAKs sent %d; publisher side NAKs received %d, retransmits sent %d",
		pubD.kind, subD.kind, naksSent, naksReceived, retransmits)
	if naksSent == 0 || naksReceived == 0 || retransmits == 0 {
		aeronjava.LogCounters(t, pubD.kind+" on "+pubD.host.Name, pubD.dir)
		aeronjava.LogCounters(t, subD.kind+" on "+subD.host.Name, subD.dir)
		t.Fatalf("no recovery on record: NAKs sent %d, NAKs received %d, retransmits %d", naksSent, naksReceived, retransmits)
	}
}

// TestAeronMulticastWithJava carries a 239.x multicast stream each way
// between our driver on the DPDK backend, which joins the groups with its
// own IGMP reports, and the Java driver on kernel UDP. interface= names the
// address the backend owns, which no kernel interface holds.
func TestAeronMulticastWithJava(t *testing.T) {
	e := setupAeron(t, nil, nil)
	peer := e.b.Addr()
	ours := func(group string) string {
		return fmt.Sprintf("aeron:udp?endpoint=%s|interface=%s|term-length=64k", group, ourAddr)
	}
	java := func(group string) string {
		return fmt.Sprintf("aeron:udp?endpoint=%s|interface=%s|term-length=64k", group, peer)
	}
	mixedExchangeOn(t, e.ours, e.java, ours("239.255.9.1:40470"), java("239.255.9.1:40470"), 1005, 2000, 3000, 19)
	mixedExchangeOn(t, e.java, e.ours, java("239.255.9.3:40472"), ours("239.255.9.3:40472"), 1006, 2000, 3000, 23)
}
