//go:build dpdk

package dpdk

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// TestProbeExplainsDPDK runs `aeron-bypass probe` built with the dpdk tag
// inside a namespace with a veth and checks what it says about DPDK: built
// in, whether EAL can start, no cloud NIC here, which vdev drivers are
// installed; and, as the vdev configuration is completed, why dpdk is not
// available yet, until auto picks it.
func TestProbeExplainsDPDK(t *testing.T) {
	require(t)
	bin := aeronjava.OurBinary(t, "dpdk")
	n := netns.New(t, netns.Options{})
	a := n.Hosts[0]
	probe := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Only standard output: the log (warnings about AERON_*
		// variables that are not settings, say) goes to standard error
		// and would break the JSON.
		var stdout, stderr strings.Builder
		cmd := a.Command(ctx, bin, append([]string{"probe"}, args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("probe %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	dpdkLine := func(out string) string {
		t.Helper()
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "dpdk ") {
				return l
			}
		}
		t.Fatalf("no dpdk line in:\n%s", out)
		return ""
	}
	expect := func(line string, available bool, phrases ...string) {
		t.Helper()
		if f := strings.Fields(line); len(f) < 2 || f[1] != map[bool]string{true: "true", false: "false"}[available] {
			t.Errorf("want available %v: %s", available, line)
		}
		for _, p := range phrases {
			if !strings.Contains(line, p) {
				t.Errorf("lacks %q: %s", p, line)
			}
		}
	}
	// Nothing configured: built in, but no device to run on.
	out := probe()
	t.Logf("unconfigured:\n%s", out)
	expect(dpdkLine(out), false, "built in (DPDK ", "EAL usable", "no ENA or GVE device bound to vfio-pci and ready",
		"vdevs usable (net_af_packet")
	if !strings.Contains(out, "auto picks: udp") {
		t.Errorf("auto should pick udp:\n%s", out)
	}

	vdev := "--dpdk-vdevs=net_af_packet0,iface=" + a.IfName()
	// A vdev but no address to own.
	expect(dpdkLine(probe(vdev, "--dpdk-no-huge=true")), false, "configured net_af_packet0", "no address (set aeron.bypass.dpdk.address")
	// A vdev on an interface this namespace does not have.
	expect(dpdkLine(probe("--dpdk-vdevs=net_af_packet0,iface=abt-nosuch0", "--dpdk-no-huge=true", "--dpdk-address="+ourAddr+"/24")), false,
		"interface abt-nosuch0 does not exist in this network namespace")
	// Without no-huge, on a machine without free hugepages.
	if hugepagesFree(t) == 0 {
		expect(dpdkLine(probe(vdev, "--dpdk-address="+ourAddr+"/24")), false, "EAL usable with no-huge only",
			"set aeron.bypass.dpdk.no.huge=true for vdevs")
	}
	// The veth still holds the address in Linux: available, with a warning.
	full := []string{vdev, "--dpdk-no-huge=true", "--dpdk-address=" + ourAddr + "/24"}
	expect(dpdkLine(probe(full...)), true, "warning: vdev net_af_packet0: interface "+a.IfName()+" still holds "+ourAddr+" in Linux")
	// Complete: the address is the backend's alone, and auto picks dpdk.
	if _, err := a.Exec("ip", "addr", "flush", "dev", a.IfName()); err != nil {
		t.Fatal(err)
	}
	out = probe(full...)
	t.Logf("configured:\n%s", out)
	line := dpdkLine(out)
	expect(line, true, "configured net_af_packet0,iface="+a.IfName(), "EAL usable (no-huge)")
	if strings.Contains(line, "warning") || !strings.Contains(out, "auto picks: dpdk") {
		t.Errorf("want no warning and auto picking dpdk:\n%s", out)
	}
	var report struct {
		Chosen   string                `json:"chosen"`
		Backends []backend.ProbeResult `json:"backends"`
	}
	if err := json.Unmarshal([]byte(probe(append(full, "--json")...)), &report); err != nil {
		t.Fatal(err)
	}
	if report.Chosen != "dpdk" {
		t.Errorf("--json chose %q", report.Chosen)
	}
	for _, r := range report.Backends {
		if r.Name == "dpdk" && (!r.Available || r.Rank != 30 || !strings.HasPrefix(r.Details["version"], "DPDK ")) {
			t.Errorf("--json dpdk %+v", r)
		}
	}
}

// hugepagesFree reads HugePages_Free from /proc/meminfo.
func hugepagesFree(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "HugePages_Free:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("/proc/meminfo: %v", err)
			}
			return n
		}
	}
	return 0
}
