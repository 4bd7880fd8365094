package netdev

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
)

// ErrMTU marks an MTU that does not fit: the interface's in the receive
// frames, or the channels' in the interface's.
var ErrMTU = errors.New("MTU does not fit")

// restoreTimeout bounds the wait for the kernel to let go of queues.
const restoreTimeout = 2 * time.Second

// ipUDPHeaders is what IPv4 and UDP add to a channel's datagram.
const ipUDPHeaders = frame.IPv4HeaderLength + frame.UDPHeaderLength

// SetupOptions say what Prepare checks and changes.
type SetupOptions struct {
	// MaxFrame is the largest Ethernet frame the receive path can hold;
	// for AF_XDP, the UMEM frame size minus the XDP headroom. 0 skips
	// the check.
	MaxFrame int
	// ChannelMTU is the largest UDP payload the channels carry (Aeron's
	// mtu.length). 0 skips the check.
	ChannelMTU int
	// Queues, when positive, sets the interface's receive queue count
	// (ethtool channels) until Restore.
	Queues int
}

// Setup is an interface made ready by Prepare, with what to put back.
type Setup struct {
	// Interface is the interface as Prepare left it.
	Interface Interface

	n         *Namespace
	broughtUp bool
	channels  *Channels // the counts before Prepare changed them
}

// Prepare readies the interface called name: it checks the MTU against
// o.MaxFrame and o.ChannelMTU before changing anything, sets the queue
// count if o.Queues asks, and brings the link up if it is down. A failure
// undoes what was changed.
func (n *Namespace) Prepare(name string, o SetupOptions) (_ *Setup, err error) {
	ifc, err := n.Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := CheckMTU(ifc, o.MaxFrame, o.ChannelMTU); err != nil {
		return nil, err
	}
	s := &Setup{n: n, Interface: ifc}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Restore())
		}
	}()
	if o.Queues > 0 && o.Queues != ifc.RxQueues {
		if err := s.setQueues(o.Queues); err != nil {
			return nil, err
		}
	}
	if !ifc.Up {
		l, err := n.nl.LinkByIndex(ifc.Index)
		if err != nil {
			return nil, fmt.Errorf("find interface %s: %w", name, err)
		}
		if err := n.nl.LinkSetUp(l); err != nil {
			return nil, fmt.Errorf("bring %s up: %w", name, err)
		}
		s.broughtUp = true
	}
	if s.Interface, err = n.ByIndex(ifc.Index); err != nil {
		return nil, err
	}
	return s, nil
}

// CheckMTU says, with the numbers, whether the interface's MTU fits
// frames of maxFrame bytes and carries channels of channelMTU; a zero
// limit is not checked.
func CheckMTU(ifc Interface, maxFrame, channelMTU int) error {
	if maxFrame > 0 && ifc.MTU+frame.EthernetHeaderLength > maxFrame {
		fit := maxFrame - frame.EthernetHeaderLength
		return fmt.Errorf("interface %s: %w: MTU %d makes frames of up to %d bytes, but a receive buffer holds %d "+
			"(UMEM frame minus XDP headroom); lower it to %d (ip link set %s mtu %d)",
			ifc.Name, ErrMTU, ifc.MTU, ifc.MTU+frame.EthernetHeaderLength, maxFrame, fit, ifc.Name, fit)
	}
	if channelMTU > 0 && channelMTU+ipUDPHeaders > ifc.MTU {
		return fmt.Errorf("interface %s: %w: channel MTU %d needs %d bytes with its IPv4 and UDP headers, "+
			"but the interface MTU is %d; lower the channel MTU to %d or raise the interface's",
			ifc.Name, ErrMTU, channelMTU, channelMTU+ipUDPHeaders, ifc.MTU, ifc.MTU-ipUDPHeaders)
	}
	return nil
}

// setQueues sets q receive queues: combined channels where the driver has
// them, otherwise q receive and q transmit channels (veth needs both).
func (s *Setup) setQueues(q int) error {
	name := s.Interface.Name
	old, err := s.n.Channels(name)
	if err != nil {
		return fmt.Errorf("set %d queues: %w", q, err)
	}
	c := old
	switch {
	case old.MaxCombined > 0:
		if q > int(old.MaxCombined) {
			return fmt.Errorf("set %d queues on %s: it has at most %d combined channels", q, name, old.MaxCombined)
		}
		c.Combined, c.Rx = uint32(q), 0
	case old.MaxRx > 0:
		if q > int(old.MaxRx) {
			return fmt.Errorf("set %d queues on %s: it has at most %d receive channels", q, name, old.MaxRx)
		}
		c.Rx, c.Tx = uint32(q), min(uint32(q), old.MaxTx)
	default:
		return fmt.Errorf("set %d queues on %s: the driver reports no adjustable channels", q, name)
	}
	if err := s.n.SetChannels(name, c); err != nil {
		return err
	}
	s.channels = &old
	return nil
}

// Restore puts back what Prepare changed: the link state and the queue
// count. It is safe to call twice.
func (s *Setup) Restore() error {
	var errs []error
	if s.broughtUp {
		l, err := s.n.nl.LinkByIndex(s.Interface.Index)
		if err == nil {
			err = s.n.nl.LinkSetDown(l)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("bring %s down again: %w", s.Interface.Name, err))
		}
		s.broughtUp = false
	}
	if s.channels != nil {
		// The kernel refuses to remove a queue that an AF_XDP buffer
		// pool is bound to, and frees a closed socket's pool only after
		// an RCU grace period: retry for a while.
		var err error
		for end := time.Now().Add(restoreTimeout); ; time.Sleep(10 * time.Millisecond) {
			err = s.n.SetChannels(s.Interface.Name, *s.channels)
			if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EBUSY) || time.Now().After(end) {
				break
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restore channels: %w", err))
		}
		s.channels = nil
	}
	return errors.Join(errs...)
}
