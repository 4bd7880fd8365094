package dpdk

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

// Settings are the aeron.bypass.dpdk.* properties as the driver's
// configuration holds them (strings and numbers); Config turns them into
// the backend's Config.
type Settings struct {
	Address, Gateway, Device     string
	PCI                          string // comma-separated
	VDevs                        string // semicolon-separated: vdev arguments contain commas
	Lcores, FilePrefix           string
	MemoryBytes                  int64
	NoHuge, InMemory             bool
	RxQueues                     int
	RxDescriptors, TxDescriptors int
	Mbufs                        int
	ChecksumOffload              bool
	IGMPVersion                  string
	ResolveTimeout               time.Duration
	NeighbourReachable           time.Duration
}

// Config parses the settings. InMemory is dropped when NoHuge is set,
// since EAL refuses the two together.
func (s Settings) Config() (Config, error) {
	c := Config{
		Device: strings.TrimSpace(s.Device), RxQueues: s.RxQueues, RxDescriptors: s.RxDescriptors,
		TxDescriptors: s.TxDescriptors, Mbufs: s.Mbufs, NoChecksumOffload: !s.ChecksumOffload,
		ResolveTimeout: s.ResolveTimeout, NeighbourReachable: s.NeighbourReachable,
		EAL: dpdk.EALConfig{Lcores: strings.TrimSpace(s.Lcores), MemoryMB: int(s.MemoryBytes >> 20), NoHuge: s.NoHuge,
			InMemory: s.InMemory && !s.NoHuge, FilePrefix: strings.TrimSpace(s.FilePrefix)},
	}
	var err error
	if a := strings.TrimSpace(s.Address); a != "" {
		if c.Address, err = netip.ParsePrefix(a); err != nil {
			return c, fmt.Errorf("aeron.bypass.dpdk.address %q: %w", a, err)
		}
	}
	if g := strings.TrimSpace(s.Gateway); g != "" {
		if c.Gateway, err = netip.ParseAddr(g); err != nil {
			return c, fmt.Errorf("aeron.bypass.dpdk.gateway %q: %w", g, err)
		}
	}
	for _, p := range strings.Split(s.PCI, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.EAL.Allow = append(c.EAL.Allow, p)
		}
	}
	for _, v := range strings.Split(s.VDevs, ";") {
		if v = strings.TrimSpace(v); v != "" {
			c.EAL.VDevs = append(c.EAL.VDevs, v)
		}
	}
	if len(c.EAL.VDevs) > 0 && len(c.EAL.Allow) == 0 {
		// Only the named vdevs: probing PCI would take devices the
		// configuration did not ask for.
		c.EAL.NoPCI = true
	}
	if v := strings.TrimSpace(s.IGMPVersion); v != "" {
		if c.IGMPVersion, err = strconv.Atoi(v); err != nil {
			return c, fmt.Errorf("aeron.bypass.dpdk.igmp.version %q: %w", v, err)
		}
	}
	return c, c.Validate()
}
