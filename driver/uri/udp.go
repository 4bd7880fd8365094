package uri

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
)

// UDPChannel is a UDP channel with its addresses resolved, as
// aeron_udp_channel_finish_parse (aeron_udp_channel.c) derives them.
type UDPChannel struct {
	URI         *URI
	ControlMode ControlMode
	// HasExplicitEndpoint and HasExplicitControl say which of endpoint and
	// control were given.
	HasExplicitEndpoint bool
	HasExplicitControl  bool
	Multicast           bool
	// RemoteData and RemoteControl are where data goes and where status
	// messages come from; LocalData and LocalControl are what this host
	// binds. For multicast the control group is the data group + 1.
	RemoteData, RemoteControl netip.AddrPort
	LocalData, LocalControl   netip.AddrPort
	// InterfaceIndex is the interface chosen for multicast (0: default).
	InterfaceIndex int
	MulticastTTL   int
	// Tag is the channel tag of tags=, when HasTag.
	Tag    int64
	HasTag bool
	// Canonical is the form used to share endpoints between channels:
	// UDP-<local>-<remote>[#tag|-n] (aeron_uri_udp_canonicalise).
	Canonical string
}

// uniqueSuffix numbers channels that must never share an endpoint.
var uniqueSuffix atomic.Int32

// ifAddr is one address of a local interface.
type ifAddr struct {
	index     int
	prefix    netip.Prefix
	multicast bool
	loopback  bool
	backend   bool
}

// backendAddrs are addresses a network backend owns outside the kernel's
// interfaces (DPDK takes its NIC away from Linux).
var backendAddrs atomic.Pointer[[]netip.Prefix]

// SetBackendAddresses makes interface= parameters and multicast interface
// selection find addresses that a network backend owns instead of the
// kernel, such as the DPDK backend's.
func SetBackendAddresses(prefixes ...netip.Prefix) {
	cp := append([]netip.Prefix(nil), prefixes...)
	backendAddrs.Store(&cp)
}

// localInterfaces lists the host's addresses; tests replace it.
var localInterfaces = func() ([]ifAddr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []ifAddr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ones, _ := ipn.Mask.Size()
			ip = ip.Unmap()
			out = append(out, ifAddr{
				index:     ifc.Index,
				prefix:    netip.PrefixFrom(ip, ones),
				multicast: ifc.Flags&net.FlagMulticast != 0,
				loopback:  ifc.Flags&net.FlagLoopback != 0,
			})
		}
	}
	return out, nil
}

// findInterface picks the local address matching spec (address within the
// spec's prefix, same family), preferring multicast-capable, non-loopback
// interfaces when the choice is open, as Aeron's interface search does.
func findInterface(spec InterfaceSpec, v6 bool) (netip.Addr, int, error) {
	want, ok := spec.Prefix()
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("interface %q is not a numeric address", spec.Host)
	}
	if want.Addr().Is6() != v6 {
		return netip.Addr{}, 0, fmt.Errorf("interface %s is not of the channel's address family", want.Addr())
	}
	addrs, err := localInterfaces()
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if extra := backendAddrs.Load(); extra != nil {
		for _, p := range *extra {
			// Preferred over the kernel's: traffic on that address goes
			// through the backend that owns it.
			addrs = append(addrs, ifAddr{prefix: p, multicast: true, backend: true})
		}
	}
	best, bestScore := -1, -1
	for i, a := range addrs {
		if a.prefix.Addr().Is6() != v6 || !want.Contains(a.prefix.Addr()) {
			continue
		}
		score := 0
		if a.backend {
			score += 4
		}
		if a.multicast {
			score += 2
		}
		if !a.loopback {
			score++
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return netip.Addr{}, 0, fmt.Errorf("no local interface has an address in %s", want)
	}
	return addrs[best].prefix.Addr(), addrs[best].index, nil
}

// MulticastControlAddress is the control group of a multicast data group:
// the data address + 1 in its last byte, which must be odd
// (aeron_ipv4_multicast_control_address).
func MulticastControlAddress(data netip.AddrPort) (netip.AddrPort, error) {
	b := data.Addr().AsSlice()
	if b[len(b)-1]&1 == 0 {
		return netip.AddrPort{}, fmt.Errorf("multicast data address %s must be odd", data.Addr())
	}
	b[len(b)-1]++
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, data.Port()), nil
}

func wildcard(v6 bool, port uint16) netip.AddrPort {
	if v6 {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
}

// formatAddr renders ip:port as aeron_format_source_identity does.
func formatAddr(ap netip.AddrPort) string {
	if ap.Addr().Is6() {
		return "[" + ap.Addr().String() + "]:" + strconv.Itoa(int(ap.Port()))
	}
	return ap.String()
}

// ResolveUDP resolves a UDP channel's addresses. isDestination marks a
// multi-destination destination, which never gets a unique suffix. Names
// resolve through the system resolver within ctx (bounded by
// ResolveTimeout when ctx has no deadline).
func ResolveUDP(ctx context.Context, u *URI, isDestination bool) (*UDPChannel, error) {
	if !u.IsUDP() {
		return nil, u.errorf("", "UDP channels must use aeron:udp")
	}
	if err := u.validateUDP(); err != nil {
		return nil, err
	}
	c := &UDPChannel{URI: u}
	c.ControlMode, _ = u.ControlMode()
	tags, err := u.Tags()
	if err != nil {
		return nil, err
	}
	c.Tag, c.HasTag = tags.Channel, tags.HasChannel
	endpointStr, hasEndpoint := u.Get(Endpoint)
	controlStr, hasControl := u.Get(Control)
	c.HasExplicitEndpoint = hasEndpoint
	var endpoint, control netip.AddrPort
	if hasControl {
		hp, _, _ := u.ControlHostPort()
		if control, err = Resolve(ctx, hp); err != nil {
			return nil, u.errorf(Control, "%v", err)
		}
	}
	if hasEndpoint {
		hp, _, _ := u.EndpointHostPort()
		if endpoint, err = Resolve(ctx, hp); err != nil {
			return nil, u.errorf(Endpoint, "%v", err)
		}
	} else {
		endpoint = wildcard(hasControl && control.Addr().Is6(), 0)
	}
	unique := !isDestination && ((!hasEndpoint && !hasControl) ||
		(hasEndpoint && endpoint.Port() == 0) || (hasControl && control.Port() == 0))
	suffix := ""
	if unique {
		if c.HasTag {
			suffix = "#" + strconv.FormatInt(c.Tag, 10)
		} else {
			suffix = "-" + strconv.Itoa(int(uniqueSuffix.Add(1)-1))
		}
	}
	ifc, hasIfc, err := u.Interface()
	if err != nil {
		return nil, err
	}
	switch {
	case endpoint.Addr().IsMulticast():
		c.Multicast = true
		c.RemoteData = endpoint
		if c.RemoteControl, err = MulticastControlAddress(endpoint); err != nil {
			return nil, u.errorf(Endpoint, "%v", err)
		}
		if !hasIfc {
			ifc = InterfaceSpec{Host: wildcard(endpoint.Addr().Is6(), 0).Addr().String(), PrefixLen: 0}
		}
		a, idx, err := findInterface(ifc, endpoint.Addr().Is6())
		if err != nil {
			return nil, u.errorf(Interface, "%v", err)
		}
		c.InterfaceIndex = idx
		c.LocalData = netip.AddrPortFrom(a, ifc.Port)
		c.LocalControl = c.LocalData
		if ttl, ok, err := u.TTL(); err != nil {
			return nil, err
		} else if ok {
			c.MulticastTTL = ttl
		}
		c.Canonical = "UDP-" + formatAddr(c.LocalData) + "-" + formatAddr(endpoint)
	case hasControl:
		c.HasExplicitControl = true
		if hasIfc {
			if _, _, err := c.unicastInterface(ifc, control.Addr().Is6()); err != nil {
				return nil, err
			}
		}
		c.RemoteData, c.RemoteControl = endpoint, endpoint
		c.LocalData, c.LocalControl = control, control
		remote := formatAddr(endpoint)
		if hasEndpoint {
			remote = endpointStr
		}
		c.Canonical = "UDP-" + controlStr + "-" + remote + suffix
	default:
		local := wildcard(endpoint.Addr().Is6(), 0)
		if hasIfc {
			a, idx, err := c.unicastInterface(ifc, endpoint.Addr().Is6())
			if err != nil {
				return nil, err
			}
			local, c.InterfaceIndex = netip.AddrPortFrom(a, ifc.Port), idx
		}
		c.RemoteData, c.RemoteControl = endpoint, endpoint
		c.LocalData, c.LocalControl = local, local
		remote := formatAddr(endpoint)
		if hasEndpoint {
			remote = endpointStr
		}
		c.Canonical = "UDP-" + formatAddr(local) + "-" + remote + suffix
	}
	return c, nil
}

// unicastInterface applies aeron_find_unicast_interface: a wildcard
// interface address is taken as given, any other must be local.
func (c *UDPChannel) unicastInterface(ifc InterfaceSpec, v6 bool) (netip.Addr, int, error) {
	if a, err := netip.ParseAddr(ifc.Host); err == nil && a.IsUnspecified() {
		return a.Unmap(), 0, nil
	}
	a, idx, err := findInterface(ifc, v6)
	if err != nil {
		return netip.Addr{}, 0, c.URI.errorf(Interface, "%v", err)
	}
	return a, idx, nil
}
