package bpf

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Mode is how the program runs on an interface.
type Mode int

// Attach modes, fastest first.
const (
	// ModeAuto tries native (driver) mode and falls back to generic.
	ModeAuto Mode = iota
	ModeNative
	ModeGeneric
)

func (m Mode) String() string {
	switch m {
	case ModeNative:
		return "native"
	case ModeGeneric:
		return "generic"
	default:
		return "auto"
	}
}

// MaxQueues is the number of XSKMAP slots (steer.c, xsks).
const MaxQueues = 64

// Stats are the program's counters summed over CPUs.
type Stats struct {
	// Redirected datagrams went to an AF_XDP socket.
	Redirected uint64
	// Passed packets went to Linux (not ours).
	Passed uint64
	// RedirectFailed datagrams matched an endpoint but the queue had no
	// socket, so Linux got them.
	RedirectFailed uint64
}

// Program is the loaded XDP program and its maps.
type Program struct {
	objs steerObjects
}

// Load loads the program and its maps into the kernel.
func Load() (*Program, error) {
	p := &Program{}
	if err := loadSteerObjects(&p.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load xdp program: verifier: %+v", ve)
		}
		return nil, fmt.Errorf("load xdp program: %w", err)
	}
	return p, nil
}

// key converts an endpoint to the map key: IPv4 as an IPv4-mapped IPv6
// address, the port in network byte order (steer.c, struct endpoint).
func key(ep netip.AddrPort) steerEndpoint {
	var k steerEndpoint
	k.Addr = ep.Addr().As16()
	// The map key holds the port as the packet does (big-endian); the
	// generated struct field is a host (little-endian, bpfel) uint16.
	k.Port = bits.ReverseBytes16(ep.Port())
	return k
}

// AddEndpoint steers datagrams addressed to ep (unicast or multicast) to
// the AF_XDP sockets.
func (p *Program) AddEndpoint(ep netip.AddrPort) error {
	k := key(ep)
	if err := p.objs.Endpoints.Put(&k, uint32(1)); err != nil {
		return fmt.Errorf("add endpoint %s: %w", ep, err)
	}
	return nil
}

// RemoveEndpoint gives datagrams for ep back to Linux.
func (p *Program) RemoveEndpoint(ep netip.AddrPort) error {
	k := key(ep)
	if err := p.objs.Endpoints.Delete(&k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("remove endpoint %s: %w", ep, err)
	}
	return nil
}

// SetSocket puts the AF_XDP socket fd in the slot of queue; packets that
// arrive on that queue and match an endpoint are redirected to it.
func (p *Program) SetSocket(queue int, fd int) error {
	if queue < 0 || queue >= MaxQueues {
		return fmt.Errorf("set socket of queue %d: queue outside 0..%d", queue, MaxQueues-1)
	}
	if err := p.objs.Xsks.Put(uint32(queue), uint32(fd)); err != nil {
		return fmt.Errorf("set socket of queue %d: %w", queue, err)
	}
	return nil
}

// ClearSocket empties the slot of queue.
func (p *Program) ClearSocket(queue int) error {
	if err := p.objs.Xsks.Delete(uint32(queue)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("clear socket of queue %d: %w", queue, err)
	}
	return nil
}

// Stats sums the per-CPU counters.
func (p *Program) Stats() (Stats, error) { return readStats(p.objs.Stats) }

// readStats sums the stats map's per-CPU counters, keyed as steer.c's
// STAT_* enum.
func readStats(m *ebpf.Map) (Stats, error) {
	var s Stats
	for i, dst := range []*uint64{&s.Redirected, &s.Passed, &s.RedirectFailed} {
		var perCPU []uint64
		if err := m.Lookup(uint32(i), &perCPU); err != nil {
			return s, fmt.Errorf("read xdp counters: %w", err)
		}
		for _, v := range perCPU {
			*dst += v
		}
	}
	return s, nil
}

// Endpoints lists the endpoints in the program's map.
func (p *Program) Endpoints() ([]netip.AddrPort, error) { return readEndpoints(p.objs.Endpoints) }

// readEndpoints lists the endpoints map's keys.
func readEndpoints(m *ebpf.Map) ([]netip.AddrPort, error) {
	var (
		k   steerEndpoint
		out []netip.AddrPort
	)
	it := m.Iterate()
	for it.Next(&k, new(uint32)) {
		a := netip.AddrFrom16(k.Addr).Unmap()
		out = append(out, netip.AddrPortFrom(a, bits.ReverseBytes16(k.Port)))
	}
	if err := it.Err(); err != nil {
		return out, fmt.Errorf("list xdp endpoints: %w", err)
	}
	return out, nil
}

// ErrNotSteer is returned by OpenLoaded for a program that is not this
// package's steer program.
var ErrNotSteer = errors.New("not the aeron-bypass steer program")

// Loaded is a view of a steer program that another process (a running
// driver) loaded: its counters and endpoints, read without bpftool.
type Loaded struct {
	stats, endpoints *ebpf.Map
}

// OpenLoaded opens the maps of the steer program with kernel ID id. It
// needs the privilege to open BPF objects by ID.
func OpenLoaded(id ebpf.ProgramID) (_ *Loaded, err error) {
	prog, err := ebpf.NewProgramFromID(id)
	if err != nil {
		return nil, fmt.Errorf("open xdp program %d: %w", id, err)
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return nil, fmt.Errorf("xdp program %d info: %w", id, err)
	}
	if info.Name != steerProgSteer || info.Type != ebpf.XDP {
		return nil, fmt.Errorf("xdp program %d (%s %q): %w", id, info.Type, info.Name, ErrNotSteer)
	}
	ids, ok := info.MapIDs()
	if !ok {
		return nil, fmt.Errorf("xdp program %d: the kernel does not list its maps", id)
	}
	l := &Loaded{}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	for _, mid := range ids {
		m, err := ebpf.NewMapFromID(mid)
		if err != nil {
			return nil, fmt.Errorf("open map %d of xdp program %d: %w", mid, id, err)
		}
		mi, err := m.Info()
		switch {
		case err == nil && mi.Name == steerMapStats && l.stats == nil:
			l.stats = m
		case err == nil && mi.Name == steerMapEndpoints && l.endpoints == nil:
			l.endpoints = m
		default:
			m.Close()
		}
	}
	if l.stats == nil || l.endpoints == nil {
		return nil, fmt.Errorf("xdp program %d lacks the stats or endpoints map", id)
	}
	return l, nil
}

// Stats sums the program's per-CPU counters.
func (l *Loaded) Stats() (Stats, error) { return readStats(l.stats) }

// Endpoints lists the endpoints the program steers.
func (l *Loaded) Endpoints() ([]netip.AddrPort, error) { return readEndpoints(l.endpoints) }

// Close releases the maps; the program is untouched.
func (l *Loaded) Close() error {
	var errs []error
	for _, m := range []*ebpf.Map{l.stats, l.endpoints} {
		if m != nil {
			errs = append(errs, m.Close())
		}
	}
	return errors.Join(errs...)
}

// Attach attaches the program to the interface through a bpf_link. In
// ModeAuto it tries native mode and falls back to generic mode; the
// returned reason says why when it did. A bpf_link never replaces a program
// already attached (the kernel answers EBUSY), so the driver cannot take an
// interface from another XDP user by accident.
func (p *Program) Attach(ifindex int, mode Mode) (l link.Link, used Mode, reason string, err error) {
	try := func(m Mode) (link.Link, error) {
		flags := link.XDPDriverMode
		if m == ModeGeneric {
			flags = link.XDPGenericMode
		}
		return link.AttachXDP(link.XDPOptions{Program: p.objs.Steer, Interface: ifindex, Flags: flags})
	}
	if mode != ModeAuto {
		l, err = try(mode)
		if err != nil {
			return nil, mode, "", attachError(ifindex, mode, err)
		}
		return l, mode, "", nil
	}
	l, err = try(ModeNative)
	if err == nil {
		return l, ModeNative, "", nil
	}
	if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) {
		return nil, ModeNative, "", attachError(ifindex, ModeNative, err)
	}
	reason = fmt.Sprintf("native mode refused (%v)", err)
	l, err = try(ModeGeneric)
	if err != nil {
		return nil, ModeGeneric, reason, fmt.Errorf("%s; %w", reason, attachError(ifindex, ModeGeneric, err))
	}
	return l, ModeGeneric, reason, nil
}

func attachError(ifindex int, m Mode, err error) error {
	if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("attach xdp (%s) to ifindex %d: another XDP program is attached; not replacing it: %w", m, ifindex, err)
	}
	return fmt.Errorf("attach xdp (%s) to ifindex %d: %w", m, ifindex, err)
}

// Close unloads the program and its maps; links attached with it keep the
// program alive until they are closed.
func (p *Program) Close() error {
	if err := p.objs.Close(); err != nil {
		return fmt.Errorf("close xdp program: %w", err)
	}
	return nil
}
