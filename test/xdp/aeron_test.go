package xdp

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/bpf"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// channelMTU is Aeron's default MTU, the largest datagram either driver
// sends on the tests' channels.
const channelMTU = 1408

// xdpView reads the program our driver attached in host h: its counters
// and the endpoints it steers.
func xdpView(t *testing.T, h *netns.Host) (bpf.Stats, []netip.AddrPort) {
	t.Helper()
	var (
		st  bpf.Stats
		eps []netip.AddrPort
	)
	inNS(t, h, func() error {
		l, err := xdpb.Attached(h.IfName())
		if err != nil {
			return err
		}
		defer l.Close()
		if st, err = l.Stats(); err != nil {
			return err
		}
		eps, err = l.Endpoints()
		return err
	})
	return st, eps
}

// waitSteered polls the map of our driver's program in h until match
// accepts its endpoints.
func waitSteered(t *testing.T, h *netns.Host, what string, match func([]netip.AddrPort) bool) []netip.AddrPort {
	t.Helper()
	var eps []netip.AddrPort
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, eps = xdpView(t, h); match(eps) {
			return eps
		}
	}
	t.Fatalf("steered endpoints %v, want %s", eps, what)
	return nil
}

// udpIn reads the kernel's Udp InDatagrams in host h.
func udpIn(t *testing.T, h *netns.Host) uint64 {
	t.Helper()
	var n uint64
	inNS(t, h, func() (err error) { n, err = udpInDatagrams(); return err })
	return n
}

// TestAeronOverXDP carries 3000 messages of mixed sizes between our driver
// on the xdp backend and Aeron's Java driver on kernel UDP, each way, on a
// unicast and a multicast channel, while ping and a TCP connection cross
// the same link. The program's counters must account for every datagram
// the Java driver sent us, the kernel's UDP counters on our side must not
// move, and the program's endpoints must come and go with the channels.
func TestAeronOverXDP(t *testing.T) {
	netns.Require(t)
	for i, c := range []struct {
		multicast bool
		xdpPub    bool
	}{{false, true}, {false, false}, {true, true}, {true, false}} {
		kind := "unicast"
		if c.multicast {
			kind = "multicast"
		}
		dir := "java-to-xdp"
		if c.xdpPub {
			dir = "xdp-to-java"
		}
		t.Run(kind+"/"+dir, func(t *testing.T) {
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			ours := startOurs(t, a, "xdp")
			java := startJavaDriver(t, b, nil)
			pubD, subD := java, ours
			if c.xdpPub {
				pubD, subD = ours, java
			}
			const port = 40456
			// Aeron's multicast: data to an odd group, control to the
			// next address.
			group := netip.AddrFrom4([4]byte{239, 255, 7, byte(2*i + 1)})
			channel := func(d *netDriver) string {
				if c.multicast {
					return fmt.Sprintf("aeron:udp?endpoint=%s:%d|interface=%s|term-length=64k", group, port, d.host.Addr())
				}
				return fmt.Sprintf("aeron:udp?endpoint=%s:%d|term-length=64k", subD.host.Addr(), port)
			}
			// The endpoint our driver opens for the channel.
			var want string
			match := func(eps []netip.AddrPort) bool { return false }
			switch {
			case c.multicast && c.xdpPub:
				ep := netip.AddrPortFrom(group.Next(), port)
				want, match = ep.String(), func(eps []netip.AddrPort) bool { return slices.Equal(eps, []netip.AddrPort{ep}) }
			case c.multicast:
				ep := netip.AddrPortFrom(group, port)
				want, match = ep.String(), func(eps []netip.AddrPort) bool { return slices.Equal(eps, []netip.AddrPort{ep}) }
			case c.xdpPub:
				want = a.Addr().String() + ":<ephemeral>"
				match = func(eps []netip.AddrPort) bool {
					return len(eps) == 1 && eps[0].Addr() == a.Addr() && eps[0].Port() != 0 && eps[0].Port() != port
				}
			default:
				ep := netip.AddrPortFrom(a.Addr(), port)
				want, match = ep.String(), func(eps []netip.AddrPort) bool { return slices.Equal(eps, []netip.AddrPort{ep}) }
			}

			side := startSideTraffic(t, a, b)
			udpBefore, javaUDPBefore := udpIn(t, a), udpIn(t, b)
			var steered []netip.AddrPort
			mixedExchange(t, pubD, subD, channel(pubD), channel(subD), 3000, 4000, int64(7+i), func() {
				steered = waitSteered(t, a, want, match)
			})
			// The Java driver's counters first: whatever it sent had
			// reached our program by the time the program is read.
			jc := aeronjava.SystemCounters(t, java.dir)
			time.Sleep(100 * time.Millisecond)
			st, _ := xdpView(t, a)
			udpDelta, javaUDPDelta := udpIn(t, a)-udpBefore, udpIn(t, b)-javaUDPBefore
			side.check(t)
			t.Logf("steered %v; xdp program: redirected %d, passed %d, redirect failed %d", steered, st.Redirected, st.Passed, st.RedirectFailed)
			t.Logf("java driver: bytes sent %d, status messages sent %d, NAKs sent %d, kernel UDP in %d; our side kernel UDP in %d",
				jc["Bytes sent"], jc["Status Messages sent"], jc["NAKs sent"], javaUDPDelta, udpDelta)
			if udpDelta != 0 {
				t.Errorf("kernel UDP on our side received %d datagrams: Aeron traffic went through Linux", udpDelta)
			}
			if st.RedirectFailed != 0 {
				t.Errorf("%d datagrams for our endpoints found no AF_XDP socket", st.RedirectFailed)
			}
			// Every datagram the Java driver sent came to us. Data
			// datagrams are at most an MTU each, so its bytes bound
			// their number from below; control frames are counted.
			least := int64(jc["Status Messages sent"] + jc["NAKs sent"])
			if !c.xdpPub {
				least = max(least, (jc["Bytes sent"]+channelMTU-1)/channelMTU)
			}
			if least == 0 || int64(st.Redirected) < least {
				t.Errorf("xdp redirected %d datagrams, want at least %d", st.Redirected, least)
			}
			if javaUDPDelta == 0 {
				t.Errorf("the Java driver's kernel received no UDP: the exchange did not cross the link")
			}
			// The clients are gone: the driver closes the channel's
			// endpoint (after the publication's linger) and its entry
			// leaves the map.
			waitSteered(t, a, "none", func(eps []netip.AddrPort) bool { return len(eps) == 0 })
		})
	}
}

// TestAeronXDPDriverKilled kills our driver with SIGKILL while it has a
// subscription open on the xdp backend: no XDP program may stay on the
// interface, and our driver on kernel UDP then exchanges with the Java
// driver over the same endpoint.
func TestAeronXDPDriverKilled(t *testing.T) {
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	ours := startOurs(t, a, "xdp")
	java := startJavaDriver(t, b, nil)
	ch := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", a.Addr())
	mixedExchange(t, java, ours, ch, ch, 500, 4000, 41, nil)
	sub := startJavaIn(t, ours, "MixedSizes", "sub", ch, "1001", "500", "43", "4000", "60")
	sub.WaitOutput(t, "READY", 60*time.Second)
	waitSteered(t, a, "the subscription's endpoint", func(eps []netip.AddrPort) bool { return len(eps) == 1 })
	if out, _ := a.Exec("ip", "-d", "link", "show", "dev", a.IfName()); !strings.Contains(out, "prog/xdp") {
		t.Fatalf("no XDP program while the driver runs:\n%s", out)
	}
	ours.proc.Kill()
	sub.Kill()
	var out string
	gone := false
	for deadline := time.Now().Add(15 * time.Second); !gone && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _ = a.Exec("ip", "-d", "link", "show", "dev", a.IfName())
		gone = !strings.Contains(out, "xdp")
	}
	if !gone {
		t.Fatalf("XDP program left on %s after SIGKILL:\n%s", a.IfName(), out)
	}
	inNS(t, a, func() error {
		if _, err := xdpb.Attached(a.IfName()); !errors.Is(err, xdpb.ErrNoProgram) {
			return fmt.Errorf("after SIGKILL: %v, want %v", err, xdpb.ErrNoProgram)
		}
		return nil
	})
	udpBefore := udpIn(t, a)
	again := startOurs(t, a, "udp")
	mixedExchange(t, java, again, ch, ch, 500, 4000, 47, nil)
	if d := udpIn(t, a) - udpBefore; d == 0 {
		t.Fatalf("the exchange after the crash did not go through kernel UDP")
	} else {
		t.Logf("after the crash: %d datagrams through kernel UDP", d)
	}
}

// TestAeronOverXDPWithLoss has both drivers lose 5% of what they send and
// receive (the Java driver's debug endpoints, our loss interceptor over
// the xdp backend) and requires every message delivered through NAKs and
// retransmits, each way.
func TestAeronOverXDPWithLoss(t *testing.T) {
	netns.Require(t)
	for i, xdpPub := range []bool{true, false} {
		name := "java-to-xdp"
		if xdpPub {
			name = "xdp-to-java"
		}
		t.Run(name, func(t *testing.T) {
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			var env []string
			for k, v := range aeronjava.LossProps(false, 21+i) {
				env = append(env, aeronjava.EnvName(k)+"="+v)
			}
			ours := startOurs(t, a, "xdp", env...)
			java := startJavaDriver(t, b, aeronjava.LossProps(true, 31+i))
			pubD, subD := java, ours
			if xdpPub {
				pubD, subD = ours, java
			}
			ch := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", subD.host.Addr())
			udpBefore := udpIn(t, a)
			mixedExchange(t, pubD, subD, ch, ch, 3000, 4000, int64(17+i), nil)
			sent, recv := aeronjava.SystemCounters(t, pubD.dir), aeronjava.SystemCounters(t, subD.dir)
			st, _ := xdpView(t, a)
			t.Logf("publisher (%s): NAKs received %d, retransmits %d; subscriber (%s): NAKs sent %d; xdp redirected %d",
				pubD.name, sent["NAKs received"], sent["Retransmits sent"], subD.name, recv["NAKs sent"], st.Redirected)
			if recv["NAKs sent"] == 0 || sent["NAKs received"] == 0 || sent["Retransmits sent"] == 0 {
				t.Fatalf("no recovery on record: subscriber NAKs sent %d, publisher NAKs received %d, retransmits %d",
					recv["NAKs sent"], sent["NAKs received"], sent["Retransmits sent"])
			}
			if st.Redirected == 0 {
				t.Fatal("nothing went through AF_XDP")
			}
			if d := udpIn(t, a) - udpBefore; d != 0 {
				t.Fatalf("kernel UDP on our side received %d datagrams", d)
			}
		})
	}
}
