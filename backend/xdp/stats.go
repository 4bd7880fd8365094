package xdp

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"

	"github.com/aeron-bypass/aeron-bypass/bpf"
)

// ErrNoProgram is returned by Attached when no XDP program is attached to
// the interface.
var ErrNoProgram = errors.New("no XDP program attached")

// Attached opens the XDP program a running driver attached to the
// interface ifname in the calling thread's network namespace. It lets an
// operator or a test see from outside the driver how many datagrams went to
// AF_XDP and how many to Linux, and which endpoints are steered. The caller
// closes it.
func Attached(ifname string) (*bpf.Loaded, error) {
	l, err := netlink.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("xdp program of %s: %w", ifname, err)
	}
	x := l.Attrs().Xdp
	if x == nil || !x.Attached || x.ProgId == 0 {
		return nil, fmt.Errorf("xdp program of %s: %w", ifname, ErrNoProgram)
	}
	p, err := bpf.OpenLoaded(ebpf.ProgramID(x.ProgId))
	if err != nil {
		return nil, fmt.Errorf("xdp program of %s: %w", ifname, err)
	}
	return p, nil
}
