package netdev

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// Interface describes a network interface.
type Interface struct {
	Name     string
	Index    int
	MAC      frame.MAC
	MTU      int
	Addr     netip.Addr // first IPv4 address, invalid if none
	RxQueues int
}

// Lookup describes the interface called name, as seen from the calling
// thread's network namespace.
func Lookup(name string) (Interface, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return Interface{}, fmt.Errorf("find interface %s: %w", name, err)
	}
	return describe(ifc)
}

// ForAddr finds the interface holding the local address a.
func ForAddr(a netip.Addr) (Interface, error) {
	ifcs, err := net.Interfaces()
	if err != nil {
		return Interface{}, fmt.Errorf("list interfaces: %w", err)
	}
	for i := range ifcs {
		addrs, _ := ifcs[i].Addrs()
		for _, ad := range addrs {
			if ipn, ok := ad.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap() == a {
					return describe(&ifcs[i])
				}
			}
		}
	}
	return Interface{}, fmt.Errorf("no interface holds %s", a)
}

func describe(ifc *net.Interface) (Interface, error) {
	d := Interface{Name: ifc.Name, Index: ifc.Index, MTU: ifc.MTU, RxQueues: RxQueues(ifc.Name)}
	if len(ifc.HardwareAddr) != 6 {
		return d, fmt.Errorf("interface %s has no Ethernet address", ifc.Name)
	}
	copy(d.MAC[:], ifc.HardwareAddr)
	addrs, err := ifc.Addrs()
	if err != nil {
		return d, fmt.Errorf("addresses of %s: %w", ifc.Name, err)
	}
	for _, ad := range addrs {
		if ipn, ok := ad.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap().Is4() {
				d.Addr = ip.Unmap()
				break
			}
		}
	}
	return d, nil
}

// RxQueues counts the interface's receive queues from sysfs (at least 1).
func RxQueues(name string) int {
	entries, err := os.ReadDir("/sys/class/net/" + name + "/queues")
	if err != nil {
		return 1
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rx-") {
			n++
		}
	}
	return max(n, 1)
}

// Resolver finds next-hop MAC addresses through one interface.
type Resolver struct {
	ifname string
	mu     sync.Mutex
	route  *os.File
	arp    *os.File
	buf    []byte
	// probe sends the datagram that makes the kernel resolve a neighbour.
	probe *net.UDPConn
}

// NewResolver opens the routing and neighbour tables of the calling
// thread's namespace for interface ifname.
func NewResolver(ifname string) (*Resolver, error) {
	r := &Resolver{ifname: ifname, buf: make([]byte, 64<<10)}
	var err error
	if r.route, err = os.Open("/proc/thread-self/net/route"); err != nil {
		return nil, fmt.Errorf("open routing table: %w", err)
	}
	if r.arp, err = os.Open("/proc/thread-self/net/arp"); err != nil {
		r.route.Close()
		return nil, fmt.Errorf("open neighbour table: %w", err)
	}
	if r.probe, err = net.ListenUDP("udp4", &net.UDPAddr{}); err != nil {
		r.route.Close()
		r.arp.Close()
		return nil, fmt.Errorf("open neighbour probe socket: %w", err)
	}
	return r, nil
}

// Close releases the tables.
func (r *Resolver) Close() error {
	return errors.Join(r.route.Close(), r.arp.Close(), r.probe.Close())
}

func (r *Resolver) read(f *os.File) ([]byte, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	n := 0
	for n < len(r.buf) {
		m, err := f.Read(r.buf[n:])
		n += m
		if err == io.EOF || m == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return r.buf[:n], nil
}

// NextHop returns the IPv4 address of the next hop towards dst through the
// interface: the gateway of the most specific route, or dst itself when it
// is on link.
func (r *Resolver) NextHop(dst netip.Addr) (netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	table, err := r.read(r.route)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("read routing table: %w", err)
	}
	d := dst.As4()
	dv := binary.LittleEndian.Uint32(d[:]) // /proc/net/route prints host-order words of network-order addresses
	best, bestLen := netip.Addr{}, -1
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[0] != r.ifname {
			continue
		}
		dest, e1 := strconv.ParseUint(f[1], 16, 32)
		gw, e2 := strconv.ParseUint(f[2], 16, 32)
		mask, e3 := strconv.ParseUint(f[7], 16, 32)
		if e1 != nil || e2 != nil || e3 != nil || dv&uint32(mask) != uint32(dest) {
			continue
		}
		if l := onesCount(uint32(mask)); l > bestLen {
			bestLen = l
			if gw == 0 {
				best = dst
			} else {
				var g [4]byte
				binary.LittleEndian.PutUint32(g[:], uint32(gw))
				best = netip.AddrFrom4(g)
			}
		}
	}
	if bestLen < 0 {
		return netip.Addr{}, fmt.Errorf("no route to %s through %s", dst, r.ifname)
	}
	return best, nil
}

func onesCount(v uint32) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// Neighbour returns the MAC of hop from the neighbour table, ok false when
// the kernel has no complete entry.
func (r *Resolver) Neighbour(hop netip.Addr) (frame.MAC, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	table, err := r.read(r.arp)
	if err != nil {
		return frame.MAC{}, false, fmt.Errorf("read neighbour table: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan()
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// IP, HW type, Flags, HW address, Mask, Device; flag 0x2 is ATF_COM.
		if len(f) < 6 || f[5] != r.ifname || f[0] != hop.String() {
			continue
		}
		flags, _ := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 32)
		hw, err := hex.DecodeString(strings.ReplaceAll(f[3], ":", ""))
		if flags&0x2 == 0 || err != nil || len(hw) != 6 {
			return frame.MAC{}, false, nil
		}
		return frame.MAC(hw), true, nil
	}
	return frame.MAC{}, false, nil
}

// Resolve returns the MAC to send to dst with: the multicast mapping for a
// group, otherwise the next hop's neighbour entry, asking the kernel to
// resolve it (by sending it an empty datagram to the discard port) and
// polling the table for at most timeout.
func (r *Resolver) Resolve(dst netip.Addr, timeout time.Duration) (frame.MAC, error) {
	if dst.IsMulticast() {
		return frame.MulticastMAC(dst), nil
	}
	hop, err := r.NextHop(dst)
	if err != nil {
		return frame.MAC{}, err
	}
	deadline := time.Now().Add(timeout)
	for attempt := 0; ; attempt++ {
		mac, ok, err := r.Neighbour(hop)
		if err != nil || ok {
			return mac, err
		}
		if time.Now().After(deadline) {
			return frame.MAC{}, fmt.Errorf("neighbour %s (next hop to %s) did not resolve within %v", hop, dst, timeout)
		}
		if attempt%50 == 0 {
			_, _ = r.probe.WriteToUDP(nil, &net.UDPAddr{IP: net.IP(hop.AsSlice()), Port: 9})
		}
		time.Sleep(2 * time.Millisecond)
	}
}
