package xdp

import (
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the registry name of this backend.
const Name = "xdp"

func init() {
	backend.Register(backend.Factory{
		Name:  Name,
		Rank:  20,
		Probe: Probe,
		New: func(backend.Options) (backend.Backend, error) {
			return nil, fmt.Errorf("xdp: %s", datapathMissing)
		},
	})
}

// datapathMissing is the reason this build cannot run the backend even
// when the machine can.
const datapathMissing = "the AF_XDP datapath is not part of this build yet"

// Capabilities are the facts the probe found.
type Capabilities struct {
	Root         bool
	AFXDPSockets bool
	Interface    string
	InterfaceOK  bool
	Queues       int
	Missing      []string
}

// Check inspects the machine for what AF_XDP needs.
func Check(o backend.Options) Capabilities {
	c := Capabilities{Interface: o.Interface, Root: os.Geteuid() == 0}
	if !c.Root {
		c.Missing = append(c.Missing, "root or CAP_NET_ADMIN+CAP_BPF+CAP_NET_RAW")
	}
	if fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0); err == nil {
		unix.Close(fd)
		c.AFXDPSockets = true
	} else {
		c.Missing = append(c.Missing, fmt.Sprintf("AF_XDP sockets (%v)", err))
	}
	if o.Interface == "" {
		c.Missing = append(c.Missing, "an interface (set --interface)")
	} else if ifc, err := net.InterfaceByName(o.Interface); err != nil {
		c.Missing = append(c.Missing, fmt.Sprintf("interface %s (%v)", o.Interface, err))
	} else {
		c.InterfaceOK = true
		c.Queues = rxQueues(ifc.Name)
	}
	return c
}

// rxQueues counts the interface's receive queues from sysfs.
func rxQueues(ifname string) int {
	entries, err := os.ReadDir("/sys/class/net/" + ifname + "/queues")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rx-") {
			n++
		}
	}
	return n
}

// Probe reports whether the backend can run and why not.
func Probe(o backend.Options) backend.ProbeResult {
	c := Check(o)
	r := backend.ProbeResult{Interface: o.Interface, Mode: "copy/zero-copy decided at bind"}
	if c.Queues > 0 {
		for q := 0; q < c.Queues; q++ {
			r.Queues = append(r.Queues, q)
		}
	}
	if len(c.Missing) > 0 {
		r.Reason = "missing " + strings.Join(c.Missing, ", ") + "; also " + datapathMissing
		return r
	}
	r.Reason = "kernel and privileges allow AF_XDP on " + o.Interface + ", but " + datapathMissing
	return r
}
