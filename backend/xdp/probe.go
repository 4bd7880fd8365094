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
	"github.com/aeron-bypass/aeron-bypass/xsk"
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
	// Attached is true when a trial attach and socket bind worked; Mode,
	// Fallback and ZeroCopy say how.
	Attached bool
	Mode     bpf.Mode
	Fallback string
	ZeroCopy bool
	// LinkDown notes an interface the backend would bring up.
	LinkDown bool
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
// AF_XDP socket family, loading the XDP program, and the interface, its
// MTU, and a trial attach of the program and bind of a socket to it,
// which say native or generic and zero-copy or copy.
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
	} else if err := netdev.CheckMTU(ifc, xsk.DefaultConfig().FrameSize-xdpHeadroom, o.MTU); err != nil {
		c.Missing = append(c.Missing, err.Error())
	} else {
		c.InterfaceOK = true
		c.Queues = ifc.RxQueues
		c.LinkDown = !ifc.Up
		if o.QueueCount > 0 {
			c.Queues = o.QueueCount
		}
		if c.BPFLoad {
			if err := c.tryAttach(ifc.Index); err != nil {
				c.Missing = append(c.Missing, fmt.Sprintf("cannot use XDP on %s (%v)", o.Interface, err))
			}
		}
	}
	return c
}

// tryAttach attaches the program and binds a small socket to queue 0,
// then lets both go. Attaching may reset a NIC's rings, as the backend's
// own attach does.
func (c *Capabilities) tryAttach(ifindex int) error {
	p, err := bpf.Load()
	if err != nil {
		return err
	}
	defer p.Close()
	l, mode, reason, err := p.Attach(ifindex, bpf.ModeAuto)
	if err != nil {
		return err
	}
	defer l.Close()
	cfg := xsk.Config{NumFrames: 64, FrameSize: xsk.DefaultConfig().FrameSize, FillRingSize: 32, CompRingSize: 32, RxRingSize: 32, TxRingSize: 32}
	s, err := xsk.Open(ifindex, 0, cfg)
	if err != nil {
		return err
	}
	c.Attached, c.Mode, c.Fallback, c.ZeroCopy = true, mode, reason, s.ZeroCopy
	return s.Close()
}

// Probe reports whether the backend can run and why not, and how it would
// run: native or generic XDP, zero-copy or copy sockets, from a trial
// attach. The backend decides again when it attaches, and logs it.
func Probe(o backend.Options) backend.ProbeResult {
	c := Check(o)
	r := backend.ProbeResult{Interface: o.Interface, Queues: o.Queues}
	if len(r.Queues) == 0 {
		for q := 0; q < c.Queues && q < bpf.MaxQueues; q++ {
			r.Queues = append(r.Queues, q)
		}
	}
	if len(c.Missing) > 0 {
		r.Reason = strings.Join(c.Missing, "; ")
		return r
	}
	r.Available = true
	copyMode := "copy"
	if c.ZeroCopy {
		copyMode = "zero-copy"
	}
	r.Mode = c.Mode.String() + " XDP, " + copyMode
	r.Details = map[string]string{"xdp_mode": c.Mode.String(), "zerocopy": fmt.Sprint(c.ZeroCopy)}
	if c.Fallback != "" {
		r.Details["fallback"] = c.Fallback
	}
	r.Reason = fmt.Sprintf("AF_XDP sockets and the XDP program work on %s (%d queues, %s)", o.Interface, c.Queues, r.Mode)
	if c.LinkDown {
		r.Details["link"] = "down; the backend brings it up and down again on exit"
	}
	return r
}
