package xdp

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/vishvananda/netlink"

	"github.com/aeron-bypass/aeron-bypass/bpf"
)

// ErrNoProgram is returned by AttachedStats when no XDP program is attached
// to the interface.
var ErrNoProgram = errors.New("no XDP program attached")

// AttachedStats reads the counters of the XDP program a running driver
// attached to the interface ifname in the calling thread's network
// namespace. It lets an operator or a test see, from outside the driver,
// how many datagrams went to AF_XDP and how many to Linux.
func AttachedStats(ifname string) (bpf.Stats, error) {
	l, err := netlink.LinkByName(ifname)
	if err != nil {
		return bpf.Stats{}, fmt.Errorf("xdp counters of %s: %w", ifname, err)
	}
	x := l.Attrs().Xdp
	if x == nil || !x.Attached || x.ProgId == 0 {
		return bpf.Stats{}, fmt.Errorf("xdp counters of %s: %w", ifname, ErrNoProgram)
	}
	s, err := bpf.StatsOf(ebpf.ProgramID(x.ProgId))
	if err != nil {
		return s, fmt.Errorf("xdp counters of %s: %w", ifname, err)
	}
	return s, nil
}
