package dpdk

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// PCI identities of the cloud NICs DPDK is worth it for.
const (
	vendorAmazon = 0x1d0f // ENA
	vendorGoogle = 0x1ae0 // gVNIC (GVE)
	vendorRedHat = 0x1af4 // virtio
	deviceGVE    = 0x0042
)

// enaDevices are ENA's PCI device ids: physical and virtual functions,
// with and without LLQ (Linux's ena_pci_tbl).
var enaDevices = map[uint16]bool{0x0ec2: true, 0x1ec2: true, 0xec20: true, 0xec21: true}

// Kinds of network device the scan tells apart.
const (
	KindENA    = "ena"
	KindGVE    = "gve"
	KindVirtio = "virtio"
	KindOther  = "other"
)

// ioresourcePrefetch marks a prefetchable BAR in a device's resource file
// (IORESOURCE_PREFETCH, include/linux/ioport.h). ENA's LLQ BAR is one.
const ioresourcePrefetch = 0x2000

// WriteCombining says whether ENA's LLQ BAR is mapped write-combining.
type WriteCombining string

// Write-combining states.
const (
	// WCConfirmed: the kernel's PAT list maps the BAR write-combining.
	WCConfirmed WriteCombining = "confirmed"
	// WCMissing: the BAR is mapped, but not write-combining.
	WCMissing WriteCombining = "missing"
	// WCUnknown: the BAR is not mapped now, or debugfs is unreadable;
	// stock vfio-pci maps it uncached.
	WCUnknown WriteCombining = "unknown"
)

// Device is one PCI network device as sysfs describes it.
type Device struct {
	Address  string // dddd:bb:dd.f
	Vendor   uint16
	DeviceID uint16
	Kind     string
	// Driver is the bound kernel driver ("vfio-pci", "ena", "gve"),
	// empty when none.
	Driver string
	// Interface, MTU and Queues are known while a kernel driver holds
	// the device.
	Interface string
	MTU       int
	Queues    int
	NUMANode  int
	// IOMMUGroup is the device's group, empty without one.
	IOMMUGroup string
	// WriteCombining is set for ENA devices bound to vfio-pci.
	WriteCombining WriteCombining
}

// Bound reports whether the device is bound to vfio-pci, which is what
// the backend requires (not igb_uio or uio_pci_generic).
func (d Device) Bound() bool { return d.Driver == "vfio-pci" }

// Host is what the scan found about the machine.
type Host struct {
	Devices []Device
	// IOMMU is true when the kernel has IOMMU groups; NoIOMMU when
	// vfio's unsafe no-IOMMU mode is on (most EC2 instances).
	IOMMU, NoIOMMU bool
	// VFIOPCI is true when the vfio-pci module is loaded.
	VFIOPCI bool
	// HugepagesFree counts free hugepages of every size, in bytes.
	HugepagesFree int64
}

// Scan reads the PCI network devices and the VFIO, IOMMU and hugepage state
// under root (normally /sys).
func Scan(root string) (Host, error) {
	var h Host
	dir := filepath.Join(root, "bus/pci/devices")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return h, fmt.Errorf("scan %s: %w", dir, err)
	}
	for _, e := range entries {
		d, ok := readDevice(root, filepath.Join(dir, e.Name()), e.Name())
		if ok {
			h.Devices = append(h.Devices, d)
		}
	}
	sort.Slice(h.Devices, func(i, j int) bool { return h.Devices[i].Address < h.Devices[j].Address })
	if groups, err := os.ReadDir(filepath.Join(root, "kernel/iommu_groups")); err == nil {
		for _, g := range groups {
			if g.IsDir() {
				h.IOMMU = true
				break
			}
		}
	}
	if v, err := readString(filepath.Join(root, "module/vfio/parameters/enable_unsafe_noiommu_mode")); err == nil {
		h.NoIOMMU = v == "Y" || v == "1"
	}
	if _, err := os.Stat(filepath.Join(root, "module/vfio_pci")); err == nil {
		h.VFIOPCI = true
	}
	sizes, _ := os.ReadDir(filepath.Join(root, "kernel/mm/hugepages"))
	for _, s := range sizes {
		kb, ok := strings.CutPrefix(s.Name(), "hugepages-")
		kb, ok2 := strings.CutSuffix(kb, "kB")
		size, err := strconv.ParseInt(kb, 10, 64)
		if !ok || !ok2 || err != nil {
			continue
		}
		free, err := readInt(filepath.Join(root, "kernel/mm/hugepages", s.Name(), "free_hugepages"))
		if err == nil {
			h.HugepagesFree += int64(free) * size * 1024
		}
	}
	for i := range h.Devices {
		d := &h.Devices[i]
		if d.Kind == KindENA && d.Bound() {
			d.WriteCombining = writeCombining(root, filepath.Join(dir, d.Address))
		}
	}
	return h, nil
}

// readDevice describes a PCI device if it is an Ethernet controller
// (class 0x0200xx).
func readDevice(root, path, addr string) (Device, bool) {
	class, err := readHex(filepath.Join(path, "class"))
	if err != nil || class>>8 != 0x0200 {
		return Device{}, false
	}
	vendor, err1 := readHex(filepath.Join(path, "vendor"))
	device, err2 := readHex(filepath.Join(path, "device"))
	if err1 != nil || err2 != nil {
		return Device{}, false
	}
	d := Device{Address: addr, Vendor: uint16(vendor), DeviceID: uint16(device), NUMANode: -1}
	switch {
	case d.Vendor == vendorAmazon && enaDevices[d.DeviceID]:
		d.Kind = KindENA
	case d.Vendor == vendorGoogle && d.DeviceID == deviceGVE:
		d.Kind = KindGVE
	case d.Vendor == vendorRedHat:
		d.Kind = KindVirtio
	default:
		d.Kind = KindOther
	}
	if l, err := os.Readlink(filepath.Join(path, "driver")); err == nil {
		d.Driver = filepath.Base(l)
	}
	if l, err := os.Readlink(filepath.Join(path, "iommu_group")); err == nil {
		d.IOMMUGroup = filepath.Base(l)
	}
	if n, err := readInt(filepath.Join(path, "numa_node")); err == nil {
		d.NUMANode = n
	}
	// virtio-net hangs its interface one level down (virtio0/net).
	for _, netDir := range []string{filepath.Join(path, "net"), filepath.Join(path, "virtio*", "net")} {
		matches, _ := filepath.Glob(netDir)
		for _, m := range matches {
			ifs, err := os.ReadDir(m)
			if err != nil || len(ifs) == 0 {
				continue
			}
			d.Interface = ifs[0].Name()
			ifDir := filepath.Join(m, d.Interface)
			if mtu, err := readInt(filepath.Join(ifDir, "mtu")); err == nil {
				d.MTU = mtu
			}
			qs, _ := filepath.Glob(filepath.Join(ifDir, "queues", "rx-*"))
			d.Queues = len(qs)
		}
	}
	return d, true
}

// writeCombining looks for the device's prefetchable BARs in the kernel's
// PAT memory-type list (debugfs), where a mapping made by a vfio-pci that
// supports write-combining shows as such while DPDK runs.
func writeCombining(root, path string) WriteCombining {
	bars := prefetchableBARs(filepath.Join(path, "resource"))
	if len(bars) == 0 {
		return WCUnknown
	}
	f, err := os.Open(filepath.Join(root, "kernel/debug/x86/pat_memtype_list"))
	if err != nil {
		return WCUnknown
	}
	defer f.Close()
	state := WCUnknown
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// PAT: [mem 0x00000000fe800000-0x00000000fe900000] write-combining
		line := sc.Text()
		lb, rb := strings.Index(line, "[mem "), strings.Index(line, "]")
		if lb < 0 || rb < lb {
			continue
		}
		lo, hi, ok := strings.Cut(line[lb+5:rb], "-")
		start, err1 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 64)
		end, err2 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 64)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		for _, b := range bars {
			if start <= b[0] && b[0] < end {
				if strings.Contains(line[rb:], "write-combining") {
					return WCConfirmed
				}
				state = WCMissing
			}
		}
	}
	return state
}

// prefetchableBARs reads [start, end] of each prefetchable memory BAR from
// a device's resource file (one "start end flags" line per resource).
func prefetchableBARs(path string) [][2]uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out [][2]uint64
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i >= 6 || len(f) != 3 { // BARs 0-5 come first
			continue
		}
		start, e1 := strconv.ParseUint(strings.TrimPrefix(f[0], "0x"), 16, 64)
		end, e2 := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
		flags, e3 := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 64)
		if e1 == nil && e2 == nil && e3 == nil && start != 0 && flags&ioresourcePrefetch != 0 {
			out = append(out, [2]uint64{start, end})
		}
	}
	return out
}

func readString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}

func readHex(path string) (uint64, error) {
	s, err := readString(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 32)
}

func readInt(path string) (int, error) {
	s, err := readString(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

// Assessment is the scan's verdict for the backend.
type Assessment struct {
	// Ready are ENA and GVE devices the backend can take now.
	Ready []Device
	// Problems say, per ENA or GVE device, what stops it; Warnings what
	// will hurt it.
	Problems []string
	Warnings []string
}

// Assess judges each ENA and GVE device: bound to vfio-pci, with an IOMMU
// or no-IOMMU mode, and with hugepages unless noHuge.
func (h Host) Assess(noHuge bool) Assessment {
	var a Assessment
	for _, d := range h.Devices {
		if d.Kind != KindENA && d.Kind != KindGVE {
			continue
		}
		name := fmt.Sprintf("%s %s", strings.ToUpper(d.Kind), d.Address)
		var why []string
		if !d.Bound() {
			drv := d.Driver
			if drv == "" {
				drv = "no driver"
			}
			iface := ""
			if d.Interface != "" {
				iface = fmt.Sprintf(", interface %s mtu %d, %d queues", d.Interface, d.MTU, d.Queues)
			}
			why = append(why, fmt.Sprintf("bound to %s%s, not vfio-pci", drv, iface))
		} else {
			if d.IOMMUGroup == "" || (!h.IOMMU && !h.NoIOMMU) {
				why = append(why, "no IOMMU group and vfio no-IOMMU mode is off")
			}
		}
		if !noHuge && h.HugepagesFree == 0 {
			why = append(why, "no free hugepages")
		}
		if len(why) > 0 {
			a.Problems = append(a.Problems, name+": "+strings.Join(why, "; "))
			continue
		}
		a.Ready = append(a.Ready, d)
		if d.Kind == KindENA && d.WriteCombining != WCConfirmed {
			a.Warnings = append(a.Warnings, fmt.Sprintf("%s: write-combining %s; ENA LLQ needs vfio-pci with write-combining "+
				"(without it, heavy loss on 6th-generation and later instances)", name, d.WriteCombining))
		}
	}
	return a
}
