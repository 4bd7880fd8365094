package dpdk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EALConfig is what rte_eal_init is told. The zero value runs on lcore 0
// with hugepages, the default file prefix and every PCI device DPDK can
// drive.
type EALConfig struct {
	// Lcores is the -l list ("0", "2-3"); empty means "0".
	Lcores string
	// MemoryMB is -m, the memory to reserve at start-up in megabytes; 0
	// leaves EAL's default (with NoHuge, 64 MB).
	MemoryMB int
	// NoHuge runs on anonymous memory instead of hugepages (--no-huge):
	// enough for vdevs and tests; physical NICs need hugepages and an
	// IOMMU mapping, or no-IOMMU mode.
	NoHuge bool
	// InMemory keeps EAL's runtime state in memory (--in-memory): no
	// files under /var/run/dpdk and no secondary processes. EAL refuses
	// it together with NoHuge (which implies its legacy memory mode).
	InMemory bool
	// FilePrefix separates the runtime files of several DPDK processes
	// on one machine (--file-prefix).
	FilePrefix string
	// Allow restricts PCI probing to these devices (-a 0000:00:06.0).
	Allow []string
	// NoPCI turns PCI probing off (--no-pci), for vdev-only runs.
	NoPCI bool
	// VDevs are virtual devices (--vdev net_af_packet0,iface=veth0).
	VDevs []string
	// LogLevel is EAL's --log-level; empty means "warning".
	LogLevel string
	// Telemetry keeps DPDK's telemetry socket and thread; off by default.
	Telemetry bool
	// Extra arguments are passed through as they are.
	Extra []string
}

// Validate rejects values rte_eal_init would misread, before it runs:
// EAL can be initialised once per process, so a bad argument must not
// reach it.
func (c EALConfig) Validate() error {
	if c.MemoryMB < 0 {
		return fmt.Errorf("eal memory %d MB: must not be negative", c.MemoryMB)
	}
	if c.Lcores != "" && strings.ContainsAny(c.Lcores, " \t") {
		return fmt.Errorf("eal lcores %q: no spaces", c.Lcores)
	}
	for _, a := range c.Allow {
		if !validPCIAddress(a) {
			return fmt.Errorf("eal allow-list entry %q: not a PCI address (dddd:bb:dd.f or bb:dd.f)", a)
		}
	}
	if c.NoHuge && c.InMemory {
		return errors.New("eal: no-huge and in-memory together (EAL refuses them; use a file prefix with no-huge)")
	}
	if c.NoPCI && len(c.Allow) > 0 {
		return errors.New("eal: a PCI allow-list and no-pci together")
	}
	for _, v := range c.VDevs {
		if v == "" || strings.ContainsAny(v, " \t") {
			return fmt.Errorf("eal vdev %q: empty or contains spaces", v)
		}
	}
	if c.FilePrefix != "" && strings.ContainsAny(c.FilePrefix, "/ \t") {
		return fmt.Errorf("eal file prefix %q: no slashes or spaces", c.FilePrefix)
	}
	return nil
}

// Args is the argument vector for rte_eal_init, program name first.
func (c EALConfig) Args(program string) []string {
	args := []string{program}
	lcores := c.Lcores
	if lcores == "" {
		lcores = "0"
	}
	args = append(args, "-l", lcores)
	if c.MemoryMB > 0 {
		args = append(args, "-m", strconv.Itoa(c.MemoryMB))
	}
	if c.NoHuge {
		args = append(args, "--no-huge")
	}
	if c.InMemory {
		args = append(args, "--in-memory")
	}
	if c.FilePrefix != "" {
		args = append(args, "--file-prefix", c.FilePrefix)
	}
	if c.NoPCI {
		args = append(args, "--no-pci")
	}
	for _, a := range c.Allow {
		args = append(args, "-a", a)
	}
	for _, v := range c.VDevs {
		args = append(args, "--vdev", v)
	}
	level := c.LogLevel
	if level == "" {
		level = "warning"
	}
	args = append(args, "--log-level", level)
	if !c.Telemetry {
		args = append(args, "--no-telemetry")
	}
	return append(args, c.Extra...)
}

// validPCIAddress accepts dddd:bb:dd.f and bb:dd.f in hexadecimal.
func validPCIAddress(s string) bool {
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 2:
		parts = append([]string{"0000"}, parts...)
	case 3:
	default:
		return false
	}
	dev, fn, ok := strings.Cut(parts[2], ".")
	if !ok {
		return false
	}
	for _, f := range []struct {
		s   string
		max int
	}{{parts[0], 4}, {parts[1], 2}, {dev, 2}, {fn, 1}} {
		if f.s == "" || len(f.s) > f.max {
			return false
		}
		if _, err := strconv.ParseUint(f.s, 16, 16); err != nil {
			return false
		}
	}
	return true
}
