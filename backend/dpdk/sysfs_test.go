package dpdk

import (
	"strings"
	"testing"
)

// The trees under testdata are recorded sysfs layouts, cut down to what
// the scan reads: an EC2 Nitro instance with eth0 on ena and a second ENA
// bound to vfio-pci in no-IOMMU mode (with the LLQ BAR mapped uncached, and
// again write-combining), a GCE instance with a gVNIC on vfio-pci, a KVM
// guest with virtio-net, and a machine with no network PCI device.

func TestScanENA(t *testing.T) {
	h, err := Scan("testdata/sysfs-ena")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Devices) != 2 || h.IOMMU || !h.NoIOMMU || !h.VFIOPCI || h.HugepagesFree != 512*2<<20 {
		t.Fatalf("host %+v", h)
	}
	k, v := h.Devices[0], h.Devices[1]
	if k.Kind != KindENA || k.Driver != "ena" || k.Interface != "eth0" || k.MTU != 9001 || k.Queues != 8 || k.Bound() {
		t.Fatalf("kernel-bound ENA %+v", k)
	}
	if v.Kind != KindENA || !v.Bound() || v.IOMMUGroup != "0" || v.WriteCombining != WCMissing || v.DeviceID != 0xec20 {
		t.Fatalf("vfio-bound ENA %+v", v)
	}
	a := h.Assess(false)
	if len(a.Ready) != 1 || a.Ready[0].Address != "0000:00:06.0" {
		t.Fatalf("ready %+v", a.Ready)
	}
	if len(a.Problems) != 1 || !strings.Contains(a.Problems[0], "bound to ena, interface eth0 mtu 9001, 8 queues, not vfio-pci") {
		t.Fatalf("problems %q", a.Problems)
	}
	if len(a.Warnings) != 1 || !strings.Contains(a.Warnings[0], "write-combining missing") {
		t.Fatalf("warnings %q", a.Warnings)
	}
}

func TestScanENAWriteCombining(t *testing.T) {
	h, err := Scan("testdata/sysfs-ena-wc")
	if err != nil {
		t.Fatal(err)
	}
	if h.Devices[1].WriteCombining != WCConfirmed {
		t.Fatalf("device %+v", h.Devices[1])
	}
	if a := h.Assess(false); len(a.Ready) != 1 || len(a.Warnings) != 0 {
		t.Fatalf("assessment %+v", a)
	}
}

func TestScanGVE(t *testing.T) {
	h, err := Scan("testdata/sysfs-gve")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Devices) != 2 || h.Devices[1].Kind != KindGVE || !h.Devices[1].Bound() || h.Devices[0].Interface != "ens4" ||
		h.Devices[0].MTU != 1460 || h.Devices[0].Queues != 2 {
		t.Fatalf("host %+v", h)
	}
	// No hugepages are reserved: neither device is ready...
	a := h.Assess(false)
	if len(a.Ready) != 0 || len(a.Problems) != 2 || !strings.Contains(a.Problems[1], "GVE 0000:00:05.0: no free hugepages") {
		t.Fatalf("assessment %+v", a)
	}
	// ...unless EAL runs without them.
	if a := h.Assess(true); len(a.Ready) != 1 || a.Ready[0].Address != "0000:00:05.0" || len(a.Warnings) != 0 {
		t.Fatalf("assessment without hugepages %+v", a)
	}
}

func TestScanVirtio(t *testing.T) {
	h, err := Scan("testdata/sysfs-virtio")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Devices) != 1 || h.Devices[0].Kind != KindVirtio || h.Devices[0].Interface != "ens3" || h.Devices[0].Driver != "virtio-pci" {
		t.Fatalf("host %+v", h)
	}
	if a := h.Assess(false); len(a.Ready)+len(a.Problems)+len(a.Warnings) != 0 {
		t.Fatalf("virtio is not a device the backend takes: %+v", a)
	}
}

func TestScanNone(t *testing.T) {
	for _, root := range []string{"testdata/sysfs-none", "testdata/does-not-exist"} {
		h, err := Scan(root)
		if err != nil || len(h.Devices) != 0 || h.HugepagesFree != 0 {
			t.Fatalf("%s: %+v %v", root, h, err)
		}
	}
}
