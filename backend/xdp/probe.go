package xdp

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/netdev"
	"github.com/aeron-bypass/aeron-bypass/bpf"
)

// Name is the registry name of this backend.
const Name = "xdp"

func init() {
	backend.Register(backend.Factory{
		Name:  Name,
		Rank:  20,
		Probe: Probe,
		New:   func(o backend.Options) (backend.Backend, error) { return New(o) },
	})
}

// Capability bits (linux/capability.h).
const (
	capNetAdmin = 12
	capNetRaw   = 13
	capSysAdmin = 21
	capBPF      = 39
)

// Capabilities are the facts the probe found.
type Capabilities struct {
	Root         bool
	AFXDPSockets bool
	BPFLoad      bool
	Interface    string
	InterfaceOK  bool
	Queues       int
	// Missing lists, in words, each thing that stops the backend.
	Missing []string
}

// effectiveCaps reads CapEff from /proc/self/status.
func effectiveCaps() (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no CapEff in /proc/self/status")
}

// Check inspects the machine for what AF_XDP needs: capabilities, the
// AF_XDP socket family, loading the XDP program, and the interface.
func Check(o backend.Options) Capabilities {
	c := Capabilities{Interface: o.Interface, Root: os.Geteuid() == 0}
	caps, err := effectiveCaps()
	if err != nil {
		c.Missing = append(c.Missing, fmt.Sprintf("capabilities unreadable (%v)", err))
	} else {
		has := func(b uint) bool { return caps&(1<<b) != 0 }
		if !has(capNetAdmin) {
			c.Missing = append(c.Missing, "missing CAP_NET_ADMIN")
		}
		if !has(capNetRaw) {
			c.Missing = append(c.Missing, "missing CAP_NET_RAW")
		}
		if !has(capBPF) && !has(capSysAdmin) {
			c.Missing = append(c.Missing, "missing CAP_BPF or CAP_SYS_ADMIN")
		}
	}
	if fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0); err == nil {
		unix.Close(fd)
		c.AFXDPSockets = true
	} else {
		c.Missing = append(c.Missing, fmt.Sprintf("AF_XDP sockets unavailable (%v)", err))
	}
	if len(c.Missing) == 0 {
		if p, err := bpf.Load(); err == nil {
			p.Close()
			c.BPFLoad = true
		} else {
			c.Missing = append(c.Missing, fmt.Sprintf("cannot load the XDP program (%v)", err))
		}
	}
	if o.Interface == "" {
		c.Missing = append(c.Missing, "no interface configured (set --interface)")
	} else if ifc, err := netdev.Lookup(o.Interface); err != nil {
		c.Missing = append(c.Missing, fmt.Sprintf("interface unusable (%v)", err))
	} else {
		c.InterfaceOK = true
		c.Queues = ifc.RxQueues
	}
	return c
}

// Probe reports whether the backend can run and why not. Whether the
// program runs natively or generically, and whether sockets bind zero-copy,
// is decided when the backend attaches, and logged then.
func Probe(o backend.Options) backend.ProbeResult {
	c := Check(o)
	r := backend.ProbeResult{Interface: o.Interface, Mode: "native XDP or generic fallback; zero-copy or copy fallback"}
	for q := 0; q < c.Queues; q++ {
		r.Queues = append(r.Queues, q)
	}
	if len(c.Missing) > 0 {
		r.Reason = strings.Join(c.Missing, "; ")
		return r
	}
	r.Available = true
	r.Reason = fmt.Sprintf("AF_XDP sockets, the XDP program and interface %s (%d queues) are usable", o.Interface, c.Queues)
	return r
}
