package netdev

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Channels are an interface's queue counts as ethtool reports them
// (linux/ethtool.h, struct ethtool_channels). A NIC has combined
// (receive and transmit) channels, separate ones, or both.
type Channels struct {
	MaxRx, MaxTx, MaxOther, MaxCombined uint32
	Rx, Tx, Other, Combined             uint32
}

// RxQueues is the number of receive queues the channels give.
func (c Channels) RxQueues() int { return int(c.Rx + c.Combined) }

// ethtoolChannels is struct ethtool_channels.
type ethtoolChannels struct {
	cmd uint32
	Channels
}

// ifreqData is struct ifreq with its union holding a pointer, as
// SIOCETHTOOL reads it: 16 bytes of name, then the 24-byte union.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [16]byte
}

func (n *Namespace) ethtool(name string, ec *ethtoolChannels) error {
	if len(name) >= unix.IFNAMSIZ {
		return fmt.Errorf("interface name %q too long", name)
	}
	var ifr ifreqData
	copy(ifr.name[:], name)
	ifr.data = unsafe.Pointer(ec)
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(n.ioctlFD), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
	runtime.KeepAlive(ec)
	if e != 0 {
		return e
	}
	return nil
}

// Channels reads the interface's channel counts (ethtool -l).
func (n *Namespace) Channels(name string) (Channels, error) {
	ec := ethtoolChannels{cmd: unix.ETHTOOL_GCHANNELS}
	if err := n.ethtool(name, &ec); err != nil {
		return Channels{}, fmt.Errorf("read channels of %s: %w", name, err)
	}
	return ec.Channels, nil
}

// SetChannels sets the interface's channel counts (ethtool -L).
func (n *Namespace) SetChannels(name string, c Channels) error {
	ec := ethtoolChannels{cmd: unix.ETHTOOL_SCHANNELS, Channels: c}
	if err := n.ethtool(name, &ec); err != nil {
		return fmt.Errorf("set channels of %s to rx %d tx %d combined %d: %w", name, c.Rx, c.Tx, c.Combined, err)
	}
	return nil
}

// rxQueues counts the receive queues: from ethtool, or, for a driver
// without channel reporting, from sysfs, or 1.
func (n *Namespace) rxQueues(a *netlink.LinkAttrs) int {
	if c, err := n.Channels(a.Name); err == nil && c.RxQueues() > 0 {
		return c.RxQueues()
	}
	return sysfsRxQueues(a.Name, a.Index, a.HardwareAddr)
}

// sysfsRxQueues counts rx-N entries under /sys/class/net/name/queues.
// sysfs shows the network namespace it was mounted in, not the caller's,
// so the entry counts only when its index and address are the
// interface's.
func sysfsRxQueues(name string, index int, mac net.HardwareAddr) int {
	dir := "/sys/class/net/" + name
	idx, err := os.ReadFile(dir + "/ifindex")
	if err != nil {
		return 1
	}
	addr, err := os.ReadFile(dir + "/address")
	if err != nil {
		return 1
	}
	if i, err := strconv.Atoi(string(bytes.TrimSpace(idx))); err != nil || i != index ||
		!strings.EqualFold(string(bytes.TrimSpace(addr)), mac.String()) {
		return 1
	}
	entries, err := os.ReadDir(dir + "/queues")
	if err != nil {
		return 1
	}
	q := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rx-") {
			q++
		}
	}
	return max(q, 1)
}
