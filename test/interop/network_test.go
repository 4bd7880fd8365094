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
			env = append(env, envName(k)+"="+v)
		}
		d.proc = aeronjava.StartOurDriverIn(t, h.Name, dir, env, args...)
	}
	return d
}

// envName maps an Aeron property name to its environment variable.
func envName(prop string) string {
	b := []byte(prop)
	for i, c := range b {
		switch {
		case c == '.':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// startJavaIn runs one of our Java programs inside a host against a driver.
func startJavaIn(t *testing.T, d *netDriver, main string, args ...string) *aeronjava.Process {
	t.Helper()
	name, argv := aeronjava.InNetns(d.host.Name, "java", append(append(aeronjava.JavaArgs(javaClasspath(t), javaProps(d.dir)), main), args...)...)
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
	waitOutput(t, sub, "READY", 60*time.Second)
	pub := startJavaIn(t, pubD, "MixedSizes", append([]string{"pub"}, common(pubChannel)...)...)
	if code := exitCode(t, sub, 120*time.Second); code != 0 {
		t.Fatalf("subscriber exited %d:\n%s\npublisher:\n%s", code, sub.Output(), pub.Output())
	}
	if code := exitCode(t, pub, 60*time.Second); code != 0 {
		t.Fatalf("publisher exited %d:\n%s", code, pub.Output())
	}
}

// TestUnicastAcrossLink carries 3000 messages from 0 bytes to several MTUs
// over a 64 KiB term (so the log rotates dozens of times) across a veth.
func TestUnicastAcrossLink(t *testing.T) {
	netns.Require(t)
	for _, p := range pairs {
		t.Run(pairName(p), func(t *testing.T) {
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			pubD := startDriverIn(t, a, p[0], nil)
			subD := startDriverIn(t, b, p[1], nil)
			ch := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", b.Addr())
			mixedExchange(t, pubD, subD, ch, ch, 3000, 4000, 7)
		})
	}
}
