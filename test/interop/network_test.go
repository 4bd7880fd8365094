package interop

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// pairs are the (publisher side, subscriber side) driver combinations every
// network test runs: each direction against Aeron's Java driver, and ours
// to ours.
var pairs = [][2]driverKind{
	{javaDriver, bypassDriver},
	{bypassDriver, javaDriver},
	{bypassDriver, bypassDriver},
}

func pairName(p [2]driverKind) string { return string(p[0]) + "-to-" + string(p[1]) }

// netDriver is a driver running inside one host of a test network.
type netDriver struct {
	kind driverKind
	host *netns.Host
	dir  string
	proc *aeronjava.Process
}

// startDriverIn starts a driver of the given kind inside a host, in SHARED
// mode with a backing-off idle strategy on both kinds, so two drivers and
// their clients share the two cores fairly. props are Aeron property names;
// ours gets them as AERON_* variables.
func startDriverIn(t *testing.T, h *netns.Host, kind driverKind, props map[string]string, args ...string) *netDriver {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron-"+h.Name)
	d := &netDriver{kind: kind, host: h, dir: dir}
	switch kind {
	case javaDriver:
		d.proc = aeronjava.StartMediaDriverIn(t, h.Name, dir, props)
	default:
		var env []string
		for k, v := range props {
			env = append(env, aeronjava.EnvName(k)+"="+v)
		}
		d.proc = aeronjava.StartOurDriverIn(t, h.Name, dir, env, args...)
	}
	return d
}

// acrossPairs runs fn once per driver pair, as subtest prefix+pair name,
// each in two fresh namespaces joined by a veth: the publisher-side driver
// on host a with pubProps, the subscriber-side one on host b with subProps.
func acrossPairs(t *testing.T, prefix string, pubProps, subProps map[string]string, fn func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver)) {
	t.Helper()
	netns.Require(t)
	for _, p := range pairs {
		t.Run(prefix+pairName(p), func(t *testing.T) {
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			fn(t, a, b, startDriverIn(t, a, p[0], pubProps), startDriverIn(t, b, p[1], subProps))
		})
	}
}

// startJavaIn runs one of our Java programs inside a host against a driver.
func startJavaIn(t *testing.T, d *netDriver, main string, args ...string) *aeronjava.Process {
	t.Helper()
	name, argv := aeronjava.InNetns(d.host.Name, "java", append(append(aeronjava.JavaArgs(aeronjava.InteropClasspath(t), javaProps(d.dir)), main), args...)...)
	return aeronjava.Start(t, nil, name, argv...)
}

// mixedExchange sends count seeded messages of mixed sizes from a publisher
// on pubD to a subscriber on subD and checks every one arrived once, in
// order, intact.
func mixedExchange(t *testing.T, pubD, subD *netDriver, pubChannel, subChannel string, count, maxLen int, seed int64) {
	t.Helper()
	common := func(ch string) []string {
		return []string{ch, "1001", fmt.Sprint(count), fmt.Sprint(seed), fmt.Sprint(maxLen), "90"}
	}
	sub := startJavaIn(t, subD, "MixedSizes", append([]string{"sub"}, common(subChannel)...)...)
	sub.WaitOutput(t, "READY", 60*time.Second)
	pub := startJavaIn(t, pubD, "MixedSizes", append([]string{"pub"}, common(pubChannel)...)...)
	if code := sub.ExitCode(t, 120*time.Second); code != 0 {
		aeronjava.LogCounters(t, string(pubD.kind)+" on "+pubD.host.Name, pubD.dir)
		aeronjava.LogCounters(t, string(subD.kind)+" on "+subD.host.Name, subD.dir)
		t.Fatalf("subscriber exited %d:\n%s\npublisher:\n%s", code, sub.Output(), pub.Output())
	}
	if code := pub.ExitCode(t, 60*time.Second); code != 0 {
		t.Fatalf("publisher exited %d:\n%s", code, pub.Output())
	}
}

// TestUnicastAcrossLink carries 3000 messages from 0 bytes to several MTUs
// over a 64 KiB term (so the log rotates dozens of times) across a veth.
func TestUnicastAcrossLink(t *testing.T) {
	acrossPairs(t, "", nil, nil, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		ch := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", b.Addr())
		mixedExchange(t, pubD, subD, ch, ch, 3000, 4000, 7)
		// Nothing was lost, so a receiver of ours drops nothing as an
		// overrun (term-end padding once looked like one).
		if subD.kind == bypassDriver {
			if n := aeronjava.SystemCounters(t, subD.dir)["Flow control over runs"]; n != 0 {
				t.Fatalf("%d flow-control overruns on a lossless link", n)
			}
		}
	})
}

// startJavaWith runs one of our Java programs inside a host with extra
// system properties.
func startJavaWith(t *testing.T, d *netDriver, props map[string]string, main string, args ...string) *aeronjava.Process {
	t.Helper()
	all := javaProps(d.dir)
	for k, v := range props {
		all[k] = v
	}
	name, argv := aeronjava.InNetns(d.host.Name, "java", append(append(aeronjava.JavaArgs(aeronjava.InteropClasspath(t), all), main), args...)...)
	return aeronjava.Start(t, nil, name, argv...)
}

// fanOut runs one publisher and several subscribers, every subscriber
// checking it got every message once and in order.
func fanOut(t *testing.T, pubD *netDriver, pubChannel string, pubProps map[string]string, subD *netDriver, subChannels []string, count int, seed int64) {
	t.Helper()
	common := func(ch string) []string {
		return []string{ch, "1001", fmt.Sprint(count), fmt.Sprint(seed), "3000", "90"}
	}
	var subs []*aeronjava.Process
	for _, ch := range subChannels {
		s := startJavaIn(t, subD, "MixedSizes", append([]string{"sub"}, common(ch)...)...)
		s.WaitOutput(t, "READY", 60*time.Second)
		subs = append(subs, s)
	}
	pub := startJavaWith(t, pubD, pubProps, "MixedSizes", append([]string{"pub"}, common(pubChannel)...)...)
	for i, s := range subs {
		if code := s.ExitCode(t, 120*time.Second); code != 0 {
			aeronjava.LogCounters(t, string(pubD.kind)+" on "+pubD.host.Name, pubD.dir)
			aeronjava.LogCounters(t, string(subD.kind)+" on "+subD.host.Name, subD.dir)
			t.Fatalf("subscriber %d exited %d:\n%s\npublisher:\n%s", i, code, s.Output(), pub.Output())
		}
	}
	if code := pub.ExitCode(t, 60*time.Second); code != 0 {
		t.Fatalf("publisher exited %d:\n%s", code, pub.Output())
	}
}

// TestMulticastAcrossLink sends to a 239.x group across the veth, with
// two subscribers on the receiving host's driver.
func TestMulticastAcrossLink(t *testing.T) {
	acrossPairs(t, "", nil, nil, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		group := "239.255.1.1:40456"
		pubCh := fmt.Sprintf("aeron:udp?endpoint=%s|interface=%s|term-length=64k", group, a.Addr())
		subCh := fmt.Sprintf("aeron:udp?endpoint=%s|interface=%s|term-length=64k", group, b.Addr())
		fanOut(t, pubD, pubCh, nil, subD, []string{subCh, subCh}, 2000, 23)
	})
}

// TestMultiDestinationCast sends one publication to two receivers, which
// either announce themselves to the publisher's control address (dynamic)
// or are added by the publisher (manual). Min flow control with a group of
// two holds the publisher until both are there.
func TestMultiDestinationCast(t *testing.T) {
	for _, mode := range []string{"dynamic", "manual", "tagged"} {
		acrossPairs(t, mode+"/", nil, nil, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
			control := fmt.Sprintf("%s:40457", a.Addr())
			d1, d2 := fmt.Sprintf("%s:40458", b.Addr()), fmt.Sprintf("%s:40459", b.Addr())
			var pubCh string
			var subs []string
			var props map[string]string
			switch mode {
			case "dynamic":
				pubCh = "aeron:udp?control=" + control + "|control-mode=dynamic|term-length=64k|fc=min,g:/2"
				subs = []string{"aeron:udp?endpoint=" + d1 + "|control=" + control, "aeron:udp?endpoint=" + d2 + "|control=" + control}
			case "tagged":
				// Only receivers whose status messages carry group tag 99
				// count, and two of them are required.
				pubCh = "aeron:udp?control=" + control + "|control-mode=dynamic|term-length=64k|fc=tagged,g:99/2"
				subs = []string{"aeron:udp?endpoint=" + d1 + "|control=" + control + "|gtag=99",
					"aeron:udp?endpoint=" + d2 + "|control=" + control + "|gtag=99"}
			default:
				pubCh = "aeron:udp?control-mode=manual|term-length=64k|fc=min,g:/2"
				subs = []string{"aeron:udp?endpoint=" + d1, "aeron:udp?endpoint=" + d2}
				props = map[string]string{"mixed.destinations": "aeron:udp?endpoint=" + d1 + ",aeron:udp?endpoint=" + d2}
			}
			fanOut(t, pubD, pubCh, props, subD, subs, 2000, 29)
		})
	}
}
