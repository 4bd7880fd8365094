package dpdk

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

// notBuiltIn is the probe's reason in a default build.
const notBuiltIn = "not built in (build with -tags dpdk; needs libdpdk-dev)"

// vdevPMDs are the virtual devices that put DPDK on a Linux interface.
var vdevPMDs = []string{"af_packet", "af_xdp"}

// Probe says whether the backend can run with configuration c: built in,
// EAL's state, ENA or GVE devices bound to vfio-pci and ready, and whether
// vdevs could stand in. It ranks above AF_XDP only when such a device is
// ready; devices named in the configuration (vdevs, a PCI allow-list)
// make it available below AF_XDP.
func Probe(o backend.Options, c Config) backend.ProbeResult {
	c = c.withDefaults()
	r := backend.ProbeResult{Interface: o.Interface, Rank: rankConfigured, Details: map[string]string{}}
	if !dpdk.Built {
		r.Reason = notBuiltIn
		return r
	}
	var says []string
	say := func(format string, a ...any) { says = append(says, fmt.Sprintf(format, a...)) }
	say("built in (%s)", dpdk.Version())
	r.Details["version"] = dpdk.Version()

	if args := dpdk.EALArgs(); args != nil {
		say("EAL initialised (%s)", strings.Join(args, " "))
	} else {
		var why []string
		if os.Geteuid() != 0 {
			why = append(why, "not root")
		}
		host, err := Scan(c.SysfsRoot)
		if err != nil {
			why = append(why, err.Error())
		}
		switch {
		case len(why) > 0:
			say("EAL not usable: %s", strings.Join(why, ", "))
		case !c.EAL.NoHuge && host.HugepagesFree == 0:
			say("EAL usable with no-huge only (no free hugepages; NICs need them)")
		case c.EAL.NoHuge:
			say("EAL usable (no-huge)")
		default:
			say("EAL usable (%d MB of hugepages free)", host.HugepagesFree>>20)
		}
	}

	host, err := Scan(c.SysfsRoot)
	if err != nil {
		say("%v", err)
	}
	a := host.Assess(c.EAL.NoHuge)
	var ready []string
	for _, d := range a.Ready {
		ready = append(ready, fmt.Sprintf("%s %s", strings.ToUpper(d.Kind), d.Address))
	}
	if len(ready) > 0 {
		say("%s bound to vfio-pci and ready", strings.Join(ready, ", "))
	} else {
		say("no ENA or GVE device bound to vfio-pci and ready")
	}
	for _, p := range a.Problems {
		say("%s", p)
	}
	for _, w := range a.Warnings {
		say("warning: %s", w)
	}

	var pmds []string
	for _, p := range vdevPMDs {
		if dpdk.HasPMD(p) {
			pmds = append(pmds, "net_"+p)
		}
	}
	if len(pmds) > 0 {
		say("vdevs usable (%s)", strings.Join(pmds, ", "))
	} else {
		say("no vdev drivers installed")
	}

	configured := len(c.EAL.VDevs) > 0 || len(c.EAL.Allow) > 0
	switch {
	case len(a.Ready) > 0:
		r.Rank = rankDevice
		r.Mode = "PCI " + strings.Join(ready, ", ")
	case configured:
		r.Mode = "configured " + strings.Join(append(append([]string(nil), c.EAL.Allow...), c.EAL.VDevs...), " ")
		problems, warnings := checkVdevs(c.EAL.VDevs, c.Address.Addr())
		if dpdk.EALArgs() == nil && !c.EAL.NoHuge && host.HugepagesFree == 0 && err == nil {
			problems = append(problems, "no free hugepages for EAL (set aeron.bypass.dpdk.no.huge=true for vdevs)")
		}
		for _, w := range warnings {
			say("warning: %s", w)
		}
		if len(problems) > 0 {
			for _, p := range problems {
				say("%s", p)
			}
			r.Reason = strings.Join(says, "; ")
			return r
		}
	default:
		r.Reason = strings.Join(says, "; ")
		return r
	}
	if !c.Address.IsValid() && o.Interface == "" {
		say("no address (set aeron.bypass.dpdk.address, or an interface to capture it from)")
		r.Reason = strings.Join(says, "; ")
		return r
	}
	r.Available = true
	r.Reason = strings.Join(says, "; ")
	return r
}

// checkVdevs looks at the Linux interfaces the configured vdevs sit on
// (their iface= argument): one missing from this network namespace is a
// problem (the vdev would fail when EAL probes it), and one that holds the
// backend's own address in Linux is a warning, since Linux would answer
// ARP for that address too.
func checkVdevs(vdevs []string, own netip.Addr) (problems, warnings []string) {
	for _, v := range vdevs {
		name, args, _ := strings.Cut(v, ",")
		for _, kv := range strings.Split(args, ",") {
			key, iface, _ := strings.Cut(kv, "=")
			if key != "iface" || iface == "" {
				continue
			}
			ifc, err := net.InterfaceByName(iface)
			if err != nil {
				problems = append(problems, fmt.Sprintf("vdev %s: interface %s does not exist in this network namespace", name, iface))
				continue
			}
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				if p, err := netip.ParsePrefix(a.String()); err == nil && own.IsValid() && p.Addr() == own {
					warnings = append(warnings, fmt.Sprintf("vdev %s: interface %s still holds %s in Linux, which answers ARP for it too (remove it: ip addr del %s dev %s)",
						name, iface, own, p, iface))
				}
			}
		}
	}
	return problems, warnings
}
