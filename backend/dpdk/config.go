package dpdk

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

// Config is the DPDK backend's own configuration, beyond backend.Options
// (the aeron.bypass.dpdk.* properties).
type Config struct {
	// EAL is how DPDK starts. With no devices in it (no Allow, no VDevs)
	// the backend allows the ENA and GVE devices it finds bound to
	// vfio-pci.
	EAL dpdk.EALConfig
	// Device names the port to use (PCI address or vdev name); empty
	// takes the first port EAL probed.
	Device string
	// Address is the backend's own IPv4 address and prefix: the NIC is
	// gone from Linux, so the backend answers ARP and ping for it. Unset,
	// it is captured from the kernel interface backend.Options.Interface
	// names, if Linux still has one.
	Address netip.Prefix
	// Gateway is the next hop for destinations outside Address's prefix;
	// unset, it is captured from the kernel's routes like Address.
	Gateway netip.Addr
	// RxQueues spreads receive over this many queues by RSS (default 1,
	// or len(backend.Options.Queues)).
	RxQueues int
	// RxDescriptors and TxDescriptors size the rings (default 1024).
	RxDescriptors, TxDescriptors int
	// Mbufs sizes the mbuf pool; 0 sizes it from the rings.
	Mbufs int
	// NoChecksumOffload computes checksums in software even where the
	// device could.
	NoChecksumOffload bool
	// IGMPVersion of unsolicited membership reports: 2 or 3 (default).
	// Queries are answered in the version they were asked in.
	IGMPVersion int
	// ResolveTimeout bounds resolving a next hop by ARP (default 3s).
	ResolveTimeout time.Duration
	// NeighbourReachable is how long an ARP answer is trusted before the
	// neighbour is probed again (default 30s, as Linux).
	NeighbourReachable time.Duration
	// SysfsRoot is where PCI devices are looked for (default /sys);
	// tests point it at recorded trees.
	SysfsRoot string
}

// Validate checks the values the backend cannot start with.
func (c Config) Validate() error {
	if err := c.EAL.Validate(); err != nil {
		return err
	}
	if c.Address.IsValid() && (!c.Address.Addr().Is4() || c.Address.Bits() == 0) {
		return fmt.Errorf("dpdk address %s: need an IPv4 address with its prefix length", c.Address)
	}
	if c.Gateway.IsValid() && !c.Gateway.Is4() {
		return fmt.Errorf("dpdk gateway %s: not IPv4", c.Gateway)
	}
	if c.Gateway.IsValid() && c.Address.IsValid() && !c.Address.Contains(c.Gateway) {
		return fmt.Errorf("dpdk gateway %s is not inside %s", c.Gateway, c.Address)
	}
	if c.IGMPVersion != 0 && c.IGMPVersion != 2 && c.IGMPVersion != 3 {
		return fmt.Errorf("dpdk igmp version %d: 2 or 3", c.IGMPVersion)
	}
	if c.RxQueues < 0 || c.RxDescriptors < 0 || c.TxDescriptors < 0 || c.Mbufs < 0 {
		return fmt.Errorf("dpdk queues, descriptors and mbufs must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.IGMPVersion == 0 {
		c.IGMPVersion = 3
	}
	if c.ResolveTimeout <= 0 {
		c.ResolveTimeout = 3 * time.Second
	}
	if c.NeighbourReachable <= 0 {
		c.NeighbourReachable = 30 * time.Second
	}
	if c.SysfsRoot == "" {
		c.SysfsRoot = "/sys"
	}
	return c
}

// configured is the configuration the registered factory uses.
var configured struct {
	mu  sync.Mutex
	cfg Config
}

// Configure sets the configuration the registry's probe and New use; the
// driver calls it with the aeron.bypass.dpdk.* properties before it
// chooses a backend.
func Configure(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	configured.mu.Lock()
	configured.cfg = c
	configured.mu.Unlock()
	return nil
}

func currentConfig() Config {
	configured.mu.Lock()
	defer configured.mu.Unlock()
	return configured.cfg
}
