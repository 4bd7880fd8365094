package uri

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// FlowControl is the fc parameter: a strategy then comma-separated options
// (aeron_flow_control_parse_tagged_options and
// aeron_flow_control_parse_max_options in aeron_flow_control.c).
type FlowControl struct {
	// Strategy is max, min or tagged.
	Strategy string
	// GroupTag from g:<tag>; HasGroupTag says it was given.
	GroupTag    int64
	HasGroupTag bool
	// GroupMinSize from g:<tag>/<n> or g:/<n>.
	GroupMinSize    int32
	HasGroupMinSize bool
	// ReceiverTimeout from t:<duration>.
	ReceiverTimeout    time.Duration
	HasReceiverTimeout bool
	// RRWM from rrwm:<n>, the retransmit receiver-window multiple.
	RRWM int64
}

// ParseFlowControl reads an fc value.
func ParseFlowControl(v string) (FlowControl, error) {
	var fc FlowControl
	opts := strings.Split(v, ",")
	fc.Strategy = opts[0]
	switch fc.Strategy {
	case "max", "min", "tagged":
	default:
		return fc, fmt.Errorf("strategy %q is not max, min or tagged", fc.Strategy)
	}
	for _, o := range opts[1:] {
		switch {
		case strings.HasPrefix(o, "rrwm:"):
			n, err := strconv.ParseInt(o[5:], 10, 64)
			if err != nil || n <= 0 {
				return fc, fmt.Errorf("option %q: retransmit receiver-window multiple must be a positive integer", o)
			}
			fc.RRWM = n
		case fc.Strategy == "max":
			// The max strategy takes only rrwm (parse_max_options).
			return fc, fmt.Errorf("option %q is not valid for max (only rrwm:<n>)", o)
		case strings.HasPrefix(o, "g:") && len(o) > 2:
			tag, size, hasSize := strings.Cut(o[2:], "/")
			if tag != "" {
				n, err := strconv.ParseInt(tag, 10, 64)
				if err != nil {
					return fc, fmt.Errorf("option %q: group tag %q is not a 64-bit integer", o, tag)
				}
				fc.GroupTag, fc.HasGroupTag = n, true
			} else if !hasSize {
				return fc, fmt.Errorf("option %q: empty group", o)
			}
			if hasSize {
				n, err := strconv.ParseInt(size, 10, 32)
				if err != nil || n < 0 {
					return fc, fmt.Errorf("option %q: group min size %q is not 0..2147483647", o, size)
				}
				fc.GroupMinSize, fc.HasGroupMinSize = int32(n), true
			}
		case strings.HasPrefix(o, "t:") && len(o) > 2:
			d, err := config.ParseDuration(o[2:])
			if err != nil {
				return fc, fmt.Errorf("option %q: %v", o, err)
			}
			fc.ReceiverTimeout, fc.HasReceiverTimeout = d, true
		default:
			return fc, fmt.Errorf("option %q is not g:<tag>[/<n>], t:<timeout> or rrwm:<n>", o)
		}
	}
	return fc, nil
}

// FlowControlParam reads fc.
func (u *URI) FlowControlParam() (FlowControl, bool, error) {
	v, ok := u.Get(FC)
	if !ok {
		return FlowControl{}, false, nil
	}
	fc, err := ParseFlowControl(v)
	if err != nil {
		return fc, true, u.errorf(FC, "%v", err)
	}
	return fc, true, nil
}

// Validate checks every parameter of §8.2 that is present and the rules
// that tie them together, and returns the first problem. Term-relative
// checks use the channel's term-length, or defaultTermLength when it has
// none. Unknown keys are ignored, as Aeron ignores them.
func (u *URI) Validate(defaultTermLength int) error {
	if u.IsUDP() {
		if err := u.validateUDP(); err != nil {
			return err
		}
	}
	termLength := defaultTermLength
	if n, ok, err := u.TermLength(); err != nil {
		return err
	} else if ok {
		termLength = n
	}
	checks := []func() error{
		func() error { _, _, err := u.MTU(); return err },
		func() error { _, _, err := u.TTL(); return err },
		func() error { _, _, err := u.Position(termLength); return err },
		func() error { _, _, err := u.SessionID(); return err },
		func() error { _, _, err := u.StreamIDParam(); return err },
		func() error { _, _, err := u.LingerTimeout(); return err },
		func() error { _, _, err := u.NakDelayParam(); return err },
		func() error { _, _, _, _, err := u.UntetheredTimeouts(); return err },
		func() error { _, _, err := u.PublicationWindow(termLength); return err },
		func() error { _, _, err := u.ReceiverWindow(); return err },
		func() error { _, _, err := u.SocketSndBuf(); return err },
		func() error { _, _, err := u.SocketRcvBuf(); return err },
		func() error { _, _, err := u.MaxResendParam(); return err },
		func() error { _, _, err := u.CongestionControl(); return err },
		func() error { _, err := u.GroupParam(); return err },
		func() error { _, _, err := u.GroupTagParam(); return err },
		func() error { _, err := u.Tags(); return err },
		func() error { _, _, err := u.FlowControlParam(); return err },
		func() error { _, _, _, err := u.ResponseCorrelation(); return err },
		func() error { _, err := u.ControlMode(); return err },
	}
	for _, k := range []string{EOS, Sparse, SSC, Reliable, Tether, Rejoin, ATS} {
		checks = append(checks, func() error { _, _, err := u.boolParam(k); return err })
	}
	for _, k := range []string{MediaRcvTsOffset, ChannelRcvTsOffset, ChannelSndTsOffset} {
		checks = append(checks, func() error { _, _, err := u.TimestampOffsetParam(k); return err })
	}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

// validateUDP applies aeron_udp_channel_parse's rules.
func (u *URI) validateUDP() error {
	mode, err := u.ControlMode()
	if err != nil {
		return err
	}
	_, hasEndpoint, err := u.EndpointHostPort()
	if err != nil {
		return err
	}
	_, hasControl, err := u.ControlHostPort()
	if err != nil {
		return err
	}
	if _, _, err := u.ResponseEndpointHostPort(); err != nil {
		return err
	}
	if _, _, err := u.Interface(); err != nil {
		return err
	}
	if mode == ControlModeDynamic && !hasControl {
		return u.errorf(ControlModeKey, "dynamic needs a control address")
	}
	if !hasEndpoint && !hasControl && !u.Has(Tags) && mode != ControlModeManual && mode != ControlModeResponse {
		return u.errorf(Endpoint, "aeron:udp needs an endpoint, a control address, tags or control-mode=manual|response")
	}
	return nil
}

// ResolveTimeout bounds a name lookup when the caller's context has no
// deadline (Aeron's name resolver threshold is 5 s, §9).
const ResolveTimeout = 5 * time.Second

// Resolve turns host:port into an address: numeric hosts directly, names
// through the system resolver, preferring IPv4 as Aeron's
// getaddrinfo-based resolution does with AF_UNSPEC on most hosts.
func Resolve(ctx context.Context, hp HostPort) (netip.AddrPort, error) {
	if a, ok := hp.Addr(); ok {
		return netip.AddrPortFrom(a, hp.Port), nil
	}
	if _, err := netip.ParseAddr(hp.Host); err == nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: zoned addresses are not supported", hp)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ResolveTimeout)
		defer cancel()
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", hp.Host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: %w", hp, err)
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("resolve %s: no addresses", hp)
	}
	best := addrs[0]
	for _, a := range addrs {
		if a.Unmap().Is4() {
			best = a
			break
		}
	}
	return netip.AddrPortFrom(best.Unmap(), hp.Port), nil
}

// ResolveEndpoint parses and resolves a host:port string.
func ResolveEndpoint(ctx context.Context, s string) (netip.AddrPort, error) {
	hp, err := SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("endpoint %q: %w", s, err)
	}
	return Resolve(ctx, hp)
}
