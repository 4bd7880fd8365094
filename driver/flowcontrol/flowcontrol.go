package flowcontrol

import (
	"errors"
	"fmt"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
)

// Strategy is one publication's flow control (Aeron's FlowControl).
type Strategy interface {
	// OnStatusMessage returns the new sender limit.
	OnStatusMessage(sm *protocol.StatusMessage, senderLimit int64, initialTermID int32, bitsToShift uint, nowNs int64) int64
	// OnIdle returns the sender limit after timing out silent receivers.
	OnIdle(nowNs, senderLimit, senderPosition int64, isEndOfStream bool) int64
	// OnTriggerSendSetup is told of an SM carrying SEND_SETUP (min/tagged
	// remember it, so the SETUP that answers holds the limit, see OnSetup).
	OnTriggerSendSetup(sm *protocol.StatusMessage, nowNs int64)
	// OnError is told of an ERR frame from a receiver (min/tagged drop it on
	// the next idle).
	OnError(e *protocol.ErrorFrame, nowNs int64)
	// OnSetup is told when the sender sends a SETUP and returns the sender
	// limit. Min/tagged hold the limit sent with a SETUP that an SM asked
	// for as a ceiling until a new receiver joins or the receiver timeout
	// passes, so a joining receiver is not overrun.
	OnSetup(senderLimit, senderPosition int64, nowNs int64) int64
	// HasRequiredReceivers gates is-connected (min/tagged group minimum size).
	HasRequiredReceivers() bool
	// MaxRetransmissionLength caps a NAK's resend: the least of resendLength,
	// the bytes to the end of the term and receiver window × RRWM.
	MaxRetransmissionLength(resendOffset, resendLength, termBufferLength, mtuLength int) int
	// ReceiverCount is how many receivers are tracked (for the fc-receivers
	// counter; 0 for max/unicast).
	ReceiverCount() int
}

// Strategy names, as in the fc URI value.
const (
	NameMax    = "max"
	NameMin    = "min"
	NameTagged = "tagged"
)

// Aeron's defaults (aeron_driver_context.c, Configuration.java).
const (
	DefaultReceiverTimeout       = 5 * time.Second
	DefaultGroupTag              = -1
	DefaultInitialReceiverWindow = 128 * 1024
	DefaultUnicastRRWM           = 16
	DefaultMulticastRRWM         = 4
)

// Options are the driver-wide defaults (Aeron properties).
type Options struct {
	// ReceiverTimeout is aeron.flow.control.receiver.timeout; 0 means the
	// default, 5 s. A URI's t: overrides it (and may be 0).
	ReceiverTimeout time.Duration
	// GroupTag is aeron.flow.control.group.tag (Aeron's default is -1, see
	// DefaultOptions); used by tagged only. A URI's g:<tag> overrides it.
	GroupTag int64
	// GroupMinSize is aeron.flow.control.group.min.size (0); used by min and
	// tagged. A URI's g:.../<n> overrides it.
	GroupMinSize int
	// InitialReceiverWindow is the receiver window the retransmit cap
	// assumes, before the termLength/2 limit; 0 means 128 KiB. Aeron itself
	// always uses its compiled-in 128 KiB here, whatever the configured
	// aeron.rcv.initial.window.length.
	InitialReceiverWindow int
	// Multicast is true for multicast and MDC channels (default strategy
	// max, RRWM 4) and false for unicast (strategy unicast, RRWM 16).
	Multicast bool
	// RetransmitReceiverWindowMultiple is aeron.unicast.flow.control.rrwm or
	// aeron.multicast.flow.control.rrwm, as Multicast says; 0 means Aeron's
	// default (16 unicast, 4 multicast). A URI's rrwm: overrides it on
	// multicast and MDC channels.
	RetransmitReceiverWindowMultiple int
}

// DefaultOptions are Aeron's defaults for a unicast channel.
func DefaultOptions() Options {
	return Options{
		ReceiverTimeout:       DefaultReceiverTimeout,
		GroupTag:              DefaultGroupTag,
		InitialReceiverWindow: DefaultInitialReceiverWindow,
	}
}

// ErrInvalid is wrapped by every error New returns for a malformed fc value
// or option.
var ErrInvalid = errors.New("invalid flow control")

// New builds the strategy for a channel's fc URI value ("" = the default for
// the channel kind), e.g. "max", "max,rrwm:8", "min", "min,t:10s",
// "min,g:/3", "tagged,g:123", "tagged,g:123/2,t:5s".
//
// As in Aeron's C driver, a unicast channel always gets the unicast strategy;
// its fc value is still checked, so a malformed one is an error there too.
func New(fc string, opts Options, termLength int) (Strategy, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	if termLength <= 0 {
		return nil, fmt.Errorf("flow control: term length %d: %w", termLength, ErrInvalid)
	}
	p, err := parse(fc)
	if err != nil {
		return nil, err
	}
	window := opts.InitialReceiverWindow
	if window == 0 {
		window = DefaultInitialReceiverWindow
	}
	if !opts.Multicast {
		rrwm := opts.RetransmitReceiverWindowMultiple
		if rrwm == 0 {
			rrwm = DefaultUnicastRRWM
		}
		return &maxStrategy{retransmit: retransmitCap{rrwm: rrwm, window: window}}, nil
	}
	rrwm := opts.RetransmitReceiverWindowMultiple
	if rrwm == 0 {
		rrwm = DefaultMulticastRRWM
	}
	if p.rrwm != 0 {
		rrwm = p.rrwm
	}
	rc := retransmitCap{rrwm: rrwm, window: window}
	switch p.name {
	case "", NameMax:
		return &maxStrategy{retransmit: rc}, nil
	}
	timeout := int64(opts.ReceiverTimeout)
	if timeout == 0 {
		timeout = int64(DefaultReceiverTimeout)
	}
	if p.hasTimeout {
		timeout = p.timeoutNs
	}
	minSize := opts.GroupMinSize
	if p.hasGroupMinSize {
		minSize = p.groupMinSize
	}
	tagged := p.name == NameTagged
	var tag int64
	if tagged {
		tag = opts.GroupTag
		if p.hasGroupTag {
			tag = p.groupTag
		}
	}
	return newMinStrategy(tagged, tag, minSize, timeout, rc), nil
}

func checkOptions(o Options) error {
	switch {
	case o.ReceiverTimeout < 0:
		return fmt.Errorf("flow control: receiver timeout %v is negative: %w", o.ReceiverTimeout, ErrInvalid)
	case o.GroupMinSize < 0:
		return fmt.Errorf("flow control: group min size %d is negative: %w", o.GroupMinSize, ErrInvalid)
	case o.InitialReceiverWindow < 0:
		return fmt.Errorf("flow control: initial receiver window %d is negative: %w", o.InitialReceiverWindow, ErrInvalid)
	case o.RetransmitReceiverWindowMultiple < 0:
		return fmt.Errorf("flow control: rrwm %d is negative: %w", o.RetransmitReceiverWindowMultiple, ErrInvalid)
	}
	return nil
}

// retransmitCap is the receiver window × RRWM estimate that bounds one NAK's
// resend (FlowControl.calculateRetransmissionLength).
type retransmitCap struct {
	rrwm   int
	window int
}

func (c retransmitCap) length(resendOffset, resendLength, termLength int) int {
	toEnd := int64(termLength) - int64(resendOffset)
	estimate := int64(min(c.window, termLength/2)) * int64(c.rrwm)
	if toEnd < estimate {
		return int(min(toEnd, int64(resendLength)))
	}
	return int(min(estimate, int64(resendLength)))
}
