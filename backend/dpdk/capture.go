package dpdk

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// Network is what the kernel knew about an interface: its address, its
// gateway and its neighbours. The backend takes it over when the device
// moves from Linux to DPDK, since it then answers ARP and resolves next
// hops itself.
type Network struct {
	Interface string
	MAC       frame.MAC
	MTU       int
	// Address is the interface's first IPv4 address with its prefix.
	Address netip.Prefix
	// Gateway is the next hop of the default route through it.
	Gateway netip.Addr
	// Neighbours are the complete IPv4 neighbour entries on it.
	Neighbours map[netip.Addr]frame.MAC
	// PCI is the device's PCI address, empty for a virtual interface.
	PCI string
}

// Capture reads an interface's network facts from the kernel's address,
// route and neighbour tables through netlink, in the calling thread's
// network namespace. It must run before the device is unbound from its
// kernel driver; for vdevs over a kernel interface (af_packet, af_xdp) the
// interface stays, and Capture works at any time.
func Capture(ifname string) (Network, error) {
	n := Network{Interface: ifname, Neighbours: map[netip.Addr]frame.MAC{}}
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return n, fmt.Errorf("capture %s: %w", ifname, err)
	}
	attrs := link.Attrs()
	n.MTU = attrs.MTU
	if len(attrs.HardwareAddr) == 6 {
		n.MAC = frame.MAC(attrs.HardwareAddr)
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return n, fmt.Errorf("capture %s: addresses: %w", ifname, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && a.IPNet != nil {
			bits, _ := a.Mask.Size()
			n.Address = netip.PrefixFrom(ip, bits)
			break
		}
	}
	routes, err := netlink.RouteList(link, netlink.FAMILY_V4)
	if err != nil {
		return n, fmt.Errorf("capture %s: routes: %w", ifname, err)
	}
	for _, r := range routes {
		if (r.Dst == nil || isDefault(r.Dst.String())) && r.Gw != nil {
			if gw, ok := netip.AddrFromSlice(r.Gw.To4()); ok {
				n.Gateway = gw
				break
			}
		}
	}
	neighs, err := netlink.NeighList(attrs.Index, netlink.FAMILY_V4)
	if err != nil {
		return n, fmt.Errorf("capture %s: neighbours: %w", ifname, err)
	}
	for _, e := range neighs {
		ip, ok := netip.AddrFromSlice(e.IP.To4())
		if !ok || len(e.HardwareAddr) != 6 || e.State&(unix.NUD_REACHABLE|unix.NUD_STALE|unix.NUD_PERMANENT|unix.NUD_DELAY|unix.NUD_PROBE) == 0 {
			continue
		}
		n.Neighbours[ip] = frame.MAC(e.HardwareAddr)
	}
	if l, err := os.Readlink("/sys/class/net/" + ifname + "/device"); err == nil {
		n.PCI = filepath.Base(l)
	}
	return n, nil
}

func isDefault(dst string) bool { return dst == "0.0.0.0/0" }
