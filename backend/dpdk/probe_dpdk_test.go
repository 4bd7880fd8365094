//go:build dpdk

package dpdk

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

var testAddress = netip.MustParsePrefix("198.18.0.1/24")

func TestProbeRanksAboveXDPOnlyWithAReadyDevice(t *testing.T) {
	r := Probe(backend.Options{}, Config{SysfsRoot: "testdata/sysfs-ena", Address: testAddress})
	if !r.Available || r.Rank != rankDevice || r.Mode != "PCI ENA 0000:00:06.0" {
		t.Fatalf("ena %+v", r)
	}
	for _, want := range []string{"built in (DPDK ", "ENA 0000:00:06.0 bound to vfio-pci and ready",
		"ENA 0000:00:05.0: bound to ena, interface eth0", "warning: ENA 0000:00:06.0: write-combining missing"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason lacks %q: %s", want, r.Reason)
		}
	}
	if r := Probe(backend.Options{}, Config{SysfsRoot: "testdata/sysfs-ena-wc", Address: testAddress}); strings.Contains(r.Reason, "warning") {
		t.Errorf("write-combining confirmed, still warned: %s", r.Reason)
	}
	// The gVNIC is bound, but no hugepages are reserved.
	r = Probe(backend.Options{}, Config{SysfsRoot: "testdata/sysfs-gve", Address: testAddress})
	if r.Available || !strings.Contains(r.Reason, "GVE 0000:00:05.0: no free hugepages") {
		t.Fatalf("gve %+v", r)
	}
	r = Probe(backend.Options{}, Config{SysfsRoot: "testdata/sysfs-gve", Address: testAddress, EAL: dpdk.EALConfig{NoHuge: true}})
	if !r.Available || r.Rank != rankDevice {
		t.Fatalf("gve without hugepages %+v", r)
	}
	for _, root := range []string{"testdata/sysfs-virtio", "testdata/sysfs-none"} {
		r := Probe(backend.Options{}, Config{SysfsRoot: root, Address: testAddress})
		if r.Available || r.Rank <= 20 || !strings.Contains(r.Reason, "no ENA or GVE device bound to vfio-pci and ready") ||
			!strings.Contains(r.Reason, "vdevs usable (net_af_packet") {
			t.Fatalf("%s: %+v", root, r)
		}
	}
}

func TestProbeWithConfiguredVdev(t *testing.T) {
	c := Config{SysfsRoot: "testdata/sysfs-none", EAL: dpdk.EALConfig{NoHuge: true, VDevs: []string{"net_af_packet0,iface=lo"}}}
	if r := Probe(backend.Options{}, c); r.Available || !strings.Contains(r.Reason, "no address") {
		t.Fatalf("without address %+v", r)
	}
	c.Address = testAddress
	r := Probe(backend.Options{}, c)
	if !r.Available || r.Rank != rankConfigured || r.Rank <= 20 || !strings.Contains(r.Mode, "net_af_packet0") {
		t.Fatalf("vdev %+v", r)
	}
}

func TestProbeChecksConfiguredVdevs(t *testing.T) {
	c := Config{SysfsRoot: "testdata/sysfs-none", Address: testAddress,
		EAL: dpdk.EALConfig{NoHuge: true, VDevs: []string{"net_af_packet0,iface=abt-nosuch0"}}}
	r := Probe(backend.Options{}, c)
	if r.Available || !strings.Contains(r.Reason, "vdev net_af_packet0: interface abt-nosuch0 does not exist in this network namespace") {
		t.Fatalf("missing interface %+v", r)
	}
	// sysfs-none has no hugepages: EAL cannot start without no-huge.
	c.EAL = dpdk.EALConfig{VDevs: []string{"net_af_packet0,iface=lo"}}
	r = Probe(backend.Options{}, c)
	if r.Available || !strings.Contains(r.Reason, "set aeron.bypass.dpdk.no.huge=true for vdevs") {
		t.Fatalf("without hugepages %+v", r)
	}
	// The interface still holds the backend's address in Linux.
	c.EAL.NoHuge, c.Address = true, netip.MustParsePrefix("127.0.0.1/8")
	r = Probe(backend.Options{}, c)
	if !r.Available || !strings.Contains(r.Reason, "warning: vdev net_af_packet0: interface lo still holds 127.0.0.1 in Linux") {
		t.Fatalf("address held by Linux %+v", r)
	}
}
