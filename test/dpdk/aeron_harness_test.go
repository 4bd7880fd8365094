//go:build dpdk

package dpdk

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// The Aeron-level tests run aeron-bypass built with the dpdk tag in
// namespace a, its veth driven by a net_af_packet vdev and without a Linux
// address, and Aeron's Java media driver on kernel UDP in namespace b.

// aeronEnv is one veth: our driver on DPDK in a (owning ourAddr, the veth
// without a Linux address), Aeron's Java driver on kernel UDP in b.
type aeronEnv struct {
	a, b *netns.Host
	// mac is a's veth MAC, which the af_packet vdev sends from.
	mac        string
	ours, java *netDriver
}

// netDriver is a driver running inside one host.
type netDriver struct {
	kind string
	host *netns.Host
	dir  string
	proc *aeronjava.Process
}

// ourAddr is the address the DPDK backend owns in namespace a: the
// harness's own address for that end, taken off the veth.
const ourAddr = dpdkAddr

// setupAeron builds the link and starts both drivers; ourEnv and javaProps
// are extra settings for each (AERON_* variables, Java properties).
func setupAeron(t *testing.T, ourEnv []string, javaProps map[string]string) *aeronEnv {
	t.Helper()
	require(t)
	bin := aeronjava.OurBinary(t, "dpdk")
	cp := aeronjava.InteropClasspath(t)
	_ = cp
	n := netns.New(t, netns.Options{})
	e := &aeronEnv{a: n.Hosts[0], b: n.Hosts[1]}
	if e.a.Addr().String() != ourAddr {
		t.Fatalf("harness gave a %s, the tests expect %s", e.a.Addr(), ourAddr)
	}
	if _, err := e.a.Exec("ip", "addr", "flush", "dev", e.a.IfName()); err != nil {
		t.Fatal(err)
	}
	out, err := e.a.Exec("cat", "/sys/class/net/"+e.a.IfName()+"/address")
	if err != nil {
		t.Fatal(err)
	}
	e.mac = strings.TrimSpace(out)
	e.java = startJavaDriver(t, e.b, javaProps)
	e.ours = startOurDriver(t, bin, e.a, ourEnv)
	return e
}

// driverBase is what both drivers get: one shared thread that backs off
// when idle, so two drivers and their clients share the two cores.
var driverBase = []string{
	"AERON_THREADING_MODE=SHARED",
	"AERON_SHARED_IDLE_STRATEGY=backoff",
	"AERON_DIR_DELETE_ON_START=true",
	"AERON_DIR_DELETE_ON_SHUTDOWN=true",
	"AERON_IPC_TERM_BUFFER_LENGTH=1m",
	"AERON_TERM_BUFFER_LENGTH=1m",
}

// startOurDriver runs aeron-bypass on the DPDK backend in h: the
// af_packet vdev on h's veth, no hugepages, its own address and EAL file
// prefix.
func startOurDriver(t *testing.T, bin string, h *netns.Host, extra []string) *netDriver {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron-"+h.Name)
	prefix := fmt.Sprintf("abt-aeron-%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() { _ = os.RemoveAll("/var/run/dpdk/" + prefix) })
	env := append(append([]string(nil), driverBase...),
		"AERON_BYPASS_BACKEND=dpdk",
		"AERON_BYPASS_DPDK_VDEVS=net_af_packet0,iface="+h.IfName(),
		"AERON_BYPASS_DPDK_NO_HUGE=true",
		"AERON_BYPASS_DPDK_MEMORY=128m",
		"AERON_BYPASS_DPDK_FILE_PREFIX="+prefix,
		"AERON_BYPASS_DPDK_ADDRESS="+ourAddr+"/24",
	)
	name, argv := aeronjava.InNetns(h.Name, bin, "--aeron-dir", dir)
	p := aeronjava.Start(t, append(env, extra...), name, argv...)
	aeronjava.WaitForDriver(t, dir, p, 60*time.Second)
	return &netDriver{kind: "aeron-bypass/dpdk", host: h, dir: dir, proc: p}
}

// startJavaDriver runs Aeron's Java media driver in h.
func startJavaDriver(t *testing.T, h *netns.Host, props map[string]string) *netDriver {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron-"+h.Name)
	p := aeronjava.StartMediaDriverIn(t, h.Name, dir, props)
	return &netDriver{kind: "java", host: h, dir: dir, proc: p}
}

// startJavaIn runs one of the Java programs inside a driver's host.
func startJavaIn(t *testing.T, d *netDriver, main string, args ...string) *aeronjava.Process {
	t.Helper()
	props := map[string]string{"aeron.dir": d.dir}
	name, argv := aeronjava.InNetns(d.host.Name, "java", append(append(aeronjava.JavaArgs(aeronjava.InteropClasspath(t), props), main), args...)...)
	return aeronjava.Start(t, nil, name, argv...)
}

// mixedExchange sends count seeded messages of mixed sizes, 0 bytes to
// maxLen, from a publisher on pubD to a subscriber on subD, which checks
// every one arrived once, in order, intact.
func mixedExchange(t *testing.T, pubD, subD *netDriver, channel string, stream, count, maxLen int, seed int64) {
	t.Helper()
	mixedExchangeOn(t, pubD, subD, channel, channel, stream, count, maxLen, seed)
}

// mixedExchangeOn is mixedExchange with a channel for each side (multicast
// names each side's interface).
func mixedExchangeOn(t *testing.T, pubD, subD *netDriver, pubCh, subCh string, stream, count, maxLen int, seed int64) {
	t.Helper()
	args := func(ch string) []string {
		return []string{ch, fmt.Sprint(stream), fmt.Sprint(count), fmt.Sprint(seed), fmt.Sprint(maxLen), "90"}
	}
	sub := startJavaIn(t, subD, "MixedSizes", append([]string{"sub"}, args(subCh)...)...)
	sub.WaitOutput(t, "READY", 60*time.Second)
	pub := startJavaIn(t, pubD, "MixedSizes", append([]string{"pub"}, args(pubCh)...)...)
	// A publisher that fails (its channel refused) ends the wait at once
	// rather than leaving the subscriber to time out.
	for deadline := time.Now().Add(120 * time.Second); !sub.Exited() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if pub.Exited() {
			if code := pub.ExitCode(t, time.Second); code != 0 {
				t.Fatalf("publisher on %s exited %d:\n%s", pubD.kind, code, pub.Output())
			}
		}
	}
	if code := sub.ExitCode(t, time.Second); code != 0 {
		aeronjava.LogCounters(t, pubD.kind+" on "+pubD.host.Name, pubD.dir)
		aeronjava.LogCounters(t, subD.kind+" on "+subD.host.Name, subD.dir)
		t.Fatalf("subscriber on %s exited %d:\n%s\npublisher on %s:\n%s", subD.kind, code, sub.Output(), pubD.kind, pub.Output())
	}
	if code := pub.ExitCode(t, 60*time.Second); code != 0 {
		t.Fatalf("publisher on %s exited %d:\n%s", pubD.kind, code, pub.Output())
	}
	t.Logf("%s -> %s: %s", pubD.kind, subD.kind, strings.TrimSpace(sub.Output()))
}
