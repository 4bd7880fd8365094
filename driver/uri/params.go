package uri

import (
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Parameter names (CommonContext.java *_PARAM_NAME, aeron_uri.h).
const (
	Endpoint                     = "endpoint"
	Interface                    = "interface"
	Control                      = "control"
	ControlModeKey               = "control-mode"
	TTL                          = "ttl"
	MTU                          = "mtu"
	TermLength                   = "term-length"
	InitTermID                   = "init-term-id"
	TermID                       = "term-id"
	TermOffset                   = "term-offset"
	SessionID                    = "session-id"
	Linger                       = "linger"
	EOS                          = "eos"
	Sparse                       = "sparse"
	SSC                          = "ssc"
	PubWnd                       = "pub-wnd"
	MaxResend                    = "max-resend"
	FC                           = "fc"
	Reliable                     = "reliable"
	RcvWnd                       = "rcv-wnd"
	CC                           = "cc"
	GTag                         = "gtag"
	Group                        = "group"
	Tether                       = "tether"
	Rejoin                       = "rejoin"
	UntetheredWindowLimitTimeout = "untethered-window-limit-timeout"
	UntetheredLingerTimeout      = "untethered-linger-timeout"
	UntetheredRestingTimeout     = "untethered-resting-timeout"
	NakDelay                     = "nak-delay"
	SoSndbuf                     = "so-sndbuf"
	SoRcvbuf                     = "so-rcvbuf"
	MediaRcvTsOffset             = "media-rcv-ts-offset"
	ChannelRcvTsOffset           = "channel-rcv-ts-offset"
	ChannelSndTsOffset           = "channel-snd-ts-offset"
	ResponseCorrelationID        = "response-correlation-id"
	ResponseEndpoint             = "response-endpoint"
	Alias                        = "alias"
	Tags                         = "tags"
	StreamID                     = "stream-id"
	ATS                          = "ats"
)

// Limits from the fact sheet §2 and §9 (aeron_logbuffer_descriptor.h,
// aeron_driver_context_validate_mtu_length).
const (
	MinTermLength  = 64 << 10
	MaxTermLength  = 1 << 30
	FrameAlignment = 32
	HeaderLength   = 32
	MaxUDPPayload  = 65504
	MaxMaxResend   = 256
	tagPrefix      = "tag:"
)

// ControlMode is the control-mode parameter.
type ControlMode string

// Control modes (aeron_udp_channel.h).
const (
	ControlModeNone     ControlMode = ""
	ControlModeManual   ControlMode = "manual"
	ControlModeDynamic  ControlMode = "dynamic"
	ControlModeResponse ControlMode = "response"
)

// ControlMode reads control-mode.
func (u *URI) ControlMode() (ControlMode, error) {
	v, ok := u.Get(ControlModeKey)
	if !ok {
		return ControlModeNone, nil
	}
	switch m := ControlMode(v); m {
	case ControlModeManual, ControlModeDynamic, ControlModeResponse:
		return m, nil
	}
	return "", u.errorf(ControlModeKey, "%q is not manual, dynamic or response", v)
}

// EndpointValue returns the endpoint parameter as written.
func (u *URI) EndpointValue() (string, bool) { return u.Get(Endpoint) }

// ControlValue returns the control parameter as written.
func (u *URI) ControlValue() (string, bool) { return u.Get(Control) }

// HostPort is a host (numeric or a name) and a port as written in an
// endpoint, control or response-endpoint parameter.
type HostPort struct {
	Host string // without brackets for IPv6
	Port uint16
}

// String renders host:port, bracketing IPv6 literals.
func (h HostPort) String() string {
	if strings.Contains(h.Host, ":") {
		return "[" + h.Host + "]:" + strconv.Itoa(int(h.Port))
	}
	return h.Host + ":" + strconv.Itoa(int(h.Port))
}

// Addr is the host as a numeric address, if it is one.
func (h HostPort) Addr() (netip.Addr, bool) {
	a, err := netip.ParseAddr(h.Host)
	return a, err == nil && a.Zone() == ""
}

// SplitHostPort splits host:port or [v6]:port. The port is required.
func SplitHostPort(s string) (HostPort, error) {
	var host, port string
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return HostPort{}, errorString("expected [ipv6]:port")
		}
		host, port = s[1:end], s[end+2:]
		if _, err := netip.ParseAddr(host); err != nil || !strings.Contains(host, ":") {
			return HostPort{}, errorString("bracketed host is not an IPv6 address")
		}
	} else {
		i := strings.LastIndexByte(s, ':')
		if i < 0 {
			return HostPort{}, errorString("no port (expected host:port)")
		}
		host, port = s[:i], s[i+1:]
		if strings.Contains(host, ":") {
			return HostPort{}, errorString("IPv6 addresses need brackets ([addr]:port)")
		}
	}
	if host == "" {
		return HostPort{}, errorString("empty host")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return HostPort{}, errorString("port " + strconv.Quote(port) + " is not 0..65535")
	}
	return HostPort{Host: host, Port: uint16(p)}, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func (u *URI) hostPort(key string) (HostPort, bool, error) {
	v, ok := u.Get(key)
	if !ok {
		return HostPort{}, false, nil
	}
	hp, err := SplitHostPort(v)
	if err != nil {
		return HostPort{}, true, u.errorf(key, "%q: %v", v, err)
	}
	return hp, true, nil
}

// EndpointHostPort reads endpoint as host and port.
func (u *URI) EndpointHostPort() (HostPort, bool, error) { return u.hostPort(Endpoint) }

// ControlHostPort reads control as host and port.
func (u *URI) ControlHostPort() (HostPort, bool, error) { return u.hostPort(Control) }

// ResponseEndpointHostPort reads response-endpoint as host and port.
func (u *URI) ResponseEndpointHostPort() (HostPort, bool, error) {
	return u.hostPort(ResponseEndpoint)
}

// InterfaceSpec is the interface parameter: ip[:port][/prefixLength]
// (aeron_interface_parse_and_resolve in aeron_socket.c / InterfaceSearchAddress).
type InterfaceSpec struct {
	Host string
	Port uint16
	// PrefixLen is the subnet prefix that picks the interface; -1 when
	// not given, meaning the address must match exactly (/32 or /128).
	PrefixLen int
}

// Prefix is the subnet the interface address must fall in.
func (s InterfaceSpec) Prefix() (netip.Prefix, bool) {
	a, err := netip.ParseAddr(s.Host)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := s.PrefixLen
	if bits < 0 {
		bits = a.BitLen()
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// ParseInterface reads ip[:port][/prefix]; IPv6 needs brackets when a port
// is given.
func ParseInterface(s string) (InterfaceSpec, error) {
	spec := InterfaceSpec{PrefixLen: -1}
	addr := s
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 0 || n > 128 {
			return spec, errorString("prefix length " + strconv.Quote(s[i+1:]) + " is not 0..128")
		}
		spec.PrefixLen, addr = n, s[:i]
	}
	switch {
	case strings.HasPrefix(addr, "["):
		hp, err := SplitHostPort(addr)
		if err != nil {
			if strings.HasSuffix(addr, "]") {
				hp, err = HostPort{Host: addr[1 : len(addr)-1]}, nil
			} else {
				return spec, err
			}
		}
		spec.Host, spec.Port = hp.Host, hp.Port
	case strings.Count(addr, ":") > 1:
		spec.Host = addr // bare IPv6 without a port
	case strings.Contains(addr, ":"):
		hp, err := SplitHostPort(addr)
		if err != nil {
			return spec, err
		}
		spec.Host, spec.Port = hp.Host, hp.Port
	default:
		spec.Host = addr
	}
	if spec.Host == "" {
		return spec, errorString("empty address")
	}
	if a, err := netip.ParseAddr(spec.Host); err == nil && spec.PrefixLen > a.BitLen() {
		return spec, errorString("prefix length exceeds the address length")
	}
	return spec, nil
}

// Interface reads the interface parameter.
func (u *URI) Interface() (InterfaceSpec, bool, error) {
	v, ok := u.Get(Interface)
	if !ok {
		return InterfaceSpec{PrefixLen: -1}, false, nil
	}
	s, err := ParseInterface(v)
	if err != nil {
		return s, true, u.errorf(Interface, "%q: %v", v, err)
	}
	return s, true, nil
}

// TTL reads the multicast ttl, 0..255.
func (u *URI) TTL() (int, bool, error) {
	v, ok, err := u.Int32(TTL, 0)
	if err == nil && ok && (v < 0 || v > 255) {
		err = u.errorf(TTL, "%d is not 0..255", v)
	}
	return int(v), ok, err
}

// MTU reads mtu: a multiple of 32 above the 32-byte header, at most 65504.
func (u *URI) MTU() (int, bool, error) {
	v, ok, err := u.sizeParam(MTU)
	if err == nil && ok {
		if err = CheckMTU(v); err != nil {
			err = u.errorf(MTU, "%v", err)
		}
	}
	return int(v), ok, err
}

// CheckMTU applies aeron_driver_context_validate_mtu_length.
func CheckMTU(v int64) error {
	switch {
	case v <= HeaderLength || v > MaxUDPPayload:
		return errorString(strconv.FormatInt(v, 10) + " is not in " + strconv.Itoa(HeaderLength+1) + ".." + strconv.Itoa(MaxUDPPayload))
	case v%FrameAlignment != 0:
		return errorString(strconv.FormatInt(v, 10) + " is not a multiple of 32")
	}
	return nil
}

// TermLength reads term-length: a power of two from 64 KiB to 1 GiB.
func (u *URI) TermLength() (int, bool, error) {
	v, ok, err := u.sizeParam(TermLength)
	if err == nil && ok {
		if err = CheckTermLength(v); err != nil {
			err = u.errorf(TermLength, "%v", err)
		}
	}
	return int(v), ok, err
}

// CheckTermLength applies aeron_logbuffer_check_term_length.
func CheckTermLength(v int64) error {
	switch {
	case v < MinTermLength || v > MaxTermLength:
		return errorString(strconv.FormatInt(v, 10) + " is not in 64k..1g")
	case bits.OnesCount64(uint64(v)) != 1:
		return errorString(strconv.FormatInt(v, 10) + " is not a power of two")
	}
	return nil
}

func (u *URI) sizeParam(key string) (int64, bool, error) {
	if !u.Has(key) {
		return 0, false, nil
	}
	v, err := u.Size(key, 0)
	return v, true, err
}

func (u *URI) positiveSize(key string, max int64) (int64, bool, error) {
	v, ok, err := u.sizeParam(key)
	if err == nil && ok && (v <= 0 || v > max) {
		err = u.errorf(key, "%d is not in 1..%d", v, max)
	}
	return v, ok, err
}

// Position is an explicit start position of a publication.
type Position struct {
	InitialTermID, TermID, TermOffset int32
}

// Position reads init-term-id, term-id and term-offset, which come all
// three together or not at all (aeron_driver_uri_publication_params).
// termLength is the publication's term length, for the offset check.
func (u *URI) Position(termLength int) (Position, bool, error) {
	var p Position
	init, hasInit, err := u.Int32(InitTermID, 0)
	if err != nil {
		return p, true, err
	}
	id, hasID, err := u.Int32(TermID, 0)
	if err != nil {
		return p, true, err
	}
	off, hasOff, err := u.Int32(TermOffset, 0)
	if err != nil {
		return p, true, err
	}
	n := 0
	for _, b := range []bool{hasInit, hasID, hasOff} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return p, false, nil
	case n != 3:
		return p, true, u.errorf(InitTermID, "init-term-id, term-id and term-offset must be given together")
	case off < 0 || int(off) > termLength:
		return p, true, u.errorf(TermOffset, "%d is not in 0..%d (the term length)", off, termLength)
	case off%FrameAlignment != 0:
		return p, true, u.errorf(TermOffset, "%d is not a multiple of 32", off)
	case int64(id)-int64(init) < 0 || int64(id)-int64(init) > math.MaxInt32:
		// ExclusivePublication position arithmetic needs the term count
		// (term-id - init-term-id) to be a non-negative int32.
		return p, true, u.errorf(TermID, "term-id %d is not within 2^31-1 terms after init-term-id %d", id, init)
	}
	return Position{InitialTermID: init, TermID: id, TermOffset: off}, true, nil
}

// TagOrValue is a parameter that holds a number or a tag:<n> reference to
// the entity tagged n.
type TagOrValue struct {
	Value int64
	IsTag bool
}

func (u *URI) tagOrInt(key string, bitSize int) (TagOrValue, bool, error) {
	v, ok := u.Get(key)
	if !ok {
		return TagOrValue{}, false, nil
	}
	s, isTag := strings.CutPrefix(v, tagPrefix)
	if isTag {
		bitSize = 64
	}
	n, err := strconv.ParseInt(s, 10, bitSize)
	if err != nil {
		return TagOrValue{}, true, u.errorf(key, "%q is not a %d-bit integer or tag:<n>", v, bitSize)
	}
	return TagOrValue{Value: n, IsTag: isTag}, true, nil
}

// SessionID reads session-id: a 32-bit id or tag:<n>.
func (u *URI) SessionID() (TagOrValue, bool, error) { return u.tagOrInt(SessionID, 32) }

// StreamIDParam reads stream-id.
func (u *URI) StreamIDParam() (int32, bool, error) { return u.Int32(StreamID, 0) }

// LingerTimeout reads linger.
func (u *URI) LingerTimeout() (time.Duration, bool, error) { return u.durationParam(Linger) }

// NakDelayParam reads nak-delay.
func (u *URI) NakDelayParam() (time.Duration, bool, error) { return u.durationParam(NakDelay) }

// UntetheredTimeouts reads the three untethered-* durations.
func (u *URI) UntetheredTimeouts() (window, linger, resting time.Duration, set [3]bool, err error) {
	if window, set[0], err = u.durationParam(UntetheredWindowLimitTimeout); err != nil {
		return
	}
	if linger, set[1], err = u.durationParam(UntetheredLingerTimeout); err != nil {
		return
	}
	resting, set[2], err = u.durationParam(UntetheredRestingTimeout)
	return
}

func (u *URI) durationParam(key string) (time.Duration, bool, error) {
	if !u.Has(key) {
		return 0, false, nil
	}
	d, err := u.Duration(key, 0)
	return d, true, err
}

func (u *URI) boolParam(key string) (bool, bool, error) {
	if !u.Has(key) {
		return false, false, nil
	}
	b, err := u.Bool(key, false)
	return b, true, err
}

// BoolParam reads one of the boolean parameters (eos, sparse, ssc,
// reliable, tether, rejoin, ats); the second result says whether it was
// given.
func (u *URI) BoolParam(key string) (bool, bool, error) { return u.boolParam(key) }

// PublicationWindow reads pub-wnd; it must not exceed half the term.
func (u *URI) PublicationWindow(termLength int) (int, bool, error) {
	v, ok, err := u.positiveSize(PubWnd, math.MaxInt32)
	if err == nil && ok && v > int64(termLength/2) {
		err = u.errorf(PubWnd, "%d exceeds half the term length %d", v, termLength)
	}
	return int(v), ok, err
}

// ReceiverWindow reads rcv-wnd.
func (u *URI) ReceiverWindow() (int, bool, error) {
	v, ok, err := u.positiveSize(RcvWnd, math.MaxInt32)
	return int(v), ok, err
}

// SocketBuffers read so-sndbuf and so-rcvbuf.
func (u *URI) SocketSndBuf() (int, bool, error) {
	v, ok, err := u.positiveSize(SoSndbuf, math.MaxInt32)
	return int(v), ok, err
}

// SocketRcvBuf reads so-rcvbuf.
func (u *URI) SocketRcvBuf() (int, bool, error) {
	v, ok, err := u.positiveSize(SoRcvbuf, math.MaxInt32)
	return int(v), ok, err
}

// MaxResendParam reads max-resend, 1..256.
func (u *URI) MaxResendParam() (int, bool, error) {
	v, ok, err := u.Int32(MaxResend, 0)
	if err == nil && ok && (v < 1 || v > MaxMaxResend) {
		err = u.errorf(MaxResend, "%d is not in 1..%d", v, MaxMaxResend)
	}
	return int(v), ok, err
}

// CongestionControl reads cc: static or cubic.
func (u *URI) CongestionControl() (string, bool, error) {
	v, ok := u.Get(CC)
	if ok && v != "static" && v != "cubic" {
		return "", true, u.errorf(CC, "%q is not static or cubic", v)
	}
	return v, ok, nil
}

// GroupMode is the group parameter.
type GroupMode int

// Group modes (aeron_driver_uri.h AERON_INFER...).
const (
	GroupInfer GroupMode = iota
	GroupForce
	GroupNone
)

// GroupParam reads group: true, false or infer.
func (u *URI) GroupParam() (GroupMode, error) {
	v, ok := u.Get(Group)
	switch {
	case !ok || v == "infer":
		return GroupInfer, nil
	case v == "true":
		return GroupForce, nil
	case v == "false":
		return GroupNone, nil
	}
	return GroupInfer, u.errorf(Group, "%q is not true, false or infer", v)
}

// GroupTagParam reads gtag.
func (u *URI) GroupTagParam() (int64, bool, error) { return u.Int64(GTag, 0) }

// ChannelTags reads tags=<channelTag>[,<entityTag>]; either may be
// absent (tags=,5 gives only an entity tag), as aeron_uri.c splits them.
type ChannelTags struct {
	Channel, Entity       int64
	HasChannel, HasEntity bool
}

// Tags reads the tags parameter.
func (u *URI) Tags() (ChannelTags, error) {
	var t ChannelTags
	v, ok := u.Get(Tags)
	if !ok {
		return t, nil
	}
	ch, ent, two := strings.Cut(v, ",")
	var err error
	if ch != "" {
		if t.Channel, err = strconv.ParseInt(ch, 10, 64); err != nil {
			return t, u.errorf(Tags, "channel tag %q is not a 64-bit integer", ch)
		}
		t.HasChannel = true
	}
	if two && ent != "" {
		if t.Entity, err = strconv.ParseInt(ent, 10, 64); err != nil {
			return t, u.errorf(Tags, "entity tag %q is not a 64-bit integer", ent)
		}
		t.HasEntity = true
	}
	return t, nil
}

// AliasValue returns alias, a label the driver ignores.
func (u *URI) AliasValue() (string, bool) { return u.Get(Alias) }

// TimestampOffset is a *-ts-offset parameter: a byte offset in the frame or
// "reserved" for the header's reserved value field.
type TimestampOffset struct {
	Offset   int32
	Reserved bool
}

// TimestampOffsetParam reads one of media-rcv-ts-offset,
// channel-rcv-ts-offset, channel-snd-ts-offset.
func (u *URI) TimestampOffsetParam(key string) (TimestampOffset, bool, error) {
	v, ok := u.Get(key)
	if !ok {
		return TimestampOffset{}, false, nil
	}
	if v == "reserved" {
		return TimestampOffset{Reserved: true}, true, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return TimestampOffset{}, true, u.errorf(key, "%q is not a non-negative offset or reserved", v)
	}
	return TimestampOffset{Offset: int32(n)}, true, nil
}

// ResponseCorrelation reads response-correlation-id: an id or
// "prototype".
func (u *URI) ResponseCorrelation() (id int64, prototype, ok bool, err error) {
	v, ok := u.Get(ResponseCorrelationID)
	if !ok {
		return 0, false, false, nil
	}
	if v == "prototype" {
		return 0, true, true, nil
	}
	id, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, true, u.errorf(ResponseCorrelationID, "%q is not a 64-bit integer or prototype", v)
	}
	return id, false, true, nil
}
