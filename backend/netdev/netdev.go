package netdev

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// Interface describes a network interface.
type Interface struct {
	Name  string
	Index int
	MAC   frame.MAC
	MTU   int
	Addr  netip.Addr   // first IPv4 address, invalid if none
	Addrs []netip.Addr // every IPv4 address, Addr first
	Up    bool         // administratively up
	// RxQueues is the number of receive queues (ethtool channels), at
	// least 1.
	RxQueues int
}

// Namespace answers for the network namespace of the thread that opened
// it, from whichever thread calls it.
type Namespace struct {
	ns netns.NsHandle
	nl *netlink.Handle
	// ioctlFD is a datagram socket for ethtool requests, which name the
	// interface in the socket's namespace.
	ioctlFD int
}

// Open opens the calling thread's network namespace.
func Open() (*Namespace, error) {
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("open network namespace: %w", err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("open rtnetlink socket: %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		h.Close()
		ns.Close()
		return nil, fmt.Errorf("open ethtool socket: %w", err)
	}
	return &Namespace{ns: ns, nl: h, ioctlFD: fd}, nil
}

// Close releases the namespace's sockets.
func (n *Namespace) Close() error {
	n.nl.Close()
	return errors.Join(unix.Close(n.ioctlFD), n.ns.Close())
}

// Lookup describes the calling thread's interface called name: a
// convenience for one question, such as the probe's.
func Lookup(name string) (Interface, error) {
	n, err := Open()
	if err != nil {
		return Interface{}, err
	}
	defer n.Close()
	return n.Lookup(name)
}

// Lookup describes the interface called name.
func (n *Namespace) Lookup(name string) (Interface, error) {
	l, err := n.nl.LinkByName(name)
	if err != nil {
		return Interface{}, fmt.Errorf("find interface %s: %w", name, err)
	}
	return n.describe(l)
}

// ByIndex describes the interface with index i.
func (n *Namespace) ByIndex(i int) (Interface, error) {
	l, err := n.nl.LinkByIndex(i)
	if err != nil {
		return Interface{}, fmt.Errorf("find interface %d: %w", i, err)
	}
	return n.describe(l)
}

// ForAddr finds the interface holding the local address a.
func (n *Namespace) ForAddr(a netip.Addr) (Interface, error) {
	a = a.Unmap()
	family := netlink.FAMILY_V4
	if a.Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := n.nl.AddrList(nil, family)
	if err != nil {
		return Interface{}, fmt.Errorf("list addresses: %w", err)
	}
	for _, ad := range addrs {
		if ip, ok := netip.AddrFromSlice(ad.IP); ok && ip.Unmap() == a {
			return n.ByIndex(ad.LinkIndex)
		}
	}
	return Interface{}, fmt.Errorf("no interface holds %s", a)
}

// Route is the kernel's answer to "how would a datagram to Dst leave?".
type Route struct {
	Dst netip.Addr
	// Index is the outgoing interface.
	Index int
	// Gateway is the next hop when the destination is not on link,
	// otherwise invalid.
	Gateway netip.Addr
	// Src is the source address the kernel would choose, invalid if none.
	Src netip.Addr
}

// NextHop is the address whose MAC a frame to Dst carries: the gateway, or
// Dst itself when it is on link.
func (r Route) NextHop() netip.Addr {
	if r.Gateway.IsValid() {
		return r.Gateway
	}
	return r.Dst
}

// Route asks the kernel's routing table for dst (as ip route get does).
func (n *Namespace) Route(dst netip.Addr) (Route, error) {
	dst = dst.Unmap()
	routes, err := n.nl.RouteGet(net.IP(dst.AsSlice()))
	if err != nil {
		return Route{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	if len(routes) == 0 {
		return Route{}, fmt.Errorf("route to %s: none", dst)
	}
	r := Route{Dst: dst, Index: routes[0].LinkIndex}
	if gw, ok := netip.AddrFromSlice(routes[0].Gw); ok && !gw.IsUnspecified() {
		r.Gateway = gw.Unmap()
	}
	if src, ok := netip.AddrFromSlice(routes[0].Src); ok {
		r.Src = src.Unmap()
	}
	return r, nil
}

// ForDestination finds the interface the kernel would send dst through.
func (n *Namespace) ForDestination(dst netip.Addr) (Interface, error) {
	r, err := n.Route(dst)
	if err != nil {
		return Interface{}, err
	}
	ifc, err := n.ByIndex(r.Index)
	if err != nil {
		return Interface{}, fmt.Errorf("route to %s: %w", dst, err)
	}
	return ifc, nil
}

func (n *Namespace) describe(l netlink.Link) (Interface, error) {
	a := l.Attrs()
	d := Interface{Name: a.Name, Index: a.Index, MTU: a.MTU, Up: a.Flags&net.FlagUp != 0}
	d.RxQueues = n.rxQueues(a)
	if len(a.HardwareAddr) != 6 {
		return d, fmt.Errorf("interface %s has no Ethernet address", a.Name)
	}
	copy(d.MAC[:], a.HardwareAddr)
	addrs, err := n.nl.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return d, fmt.Errorf("addresses of %s: %w", a.Name, err)
	}
	for _, ad := range addrs {
		if ip, ok := netip.AddrFromSlice(ad.IP); ok && ip.Unmap().Is4() {
			d.Addrs = append(d.Addrs, ip.Unmap())
		}
	}
	if len(d.Addrs) > 0 {
		d.Addr = d.Addrs[0]
	}
	return d, nil
}
