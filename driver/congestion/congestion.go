package congestion

import (
	"errors"
	"fmt"
	"time"
)

// Control is an image's congestion control (Aeron's CongestionControl), used
// on the receiver thread.
type Control interface {
	// ShouldMeasureRTT says whether an RTTM should be sent now.
	ShouldMeasureRTT(nowNs int64) bool
	// OnRTTMeasurementSent is told an RTTM went out.
	OnRTTMeasurementSent(nowNs int64)
	// OnRTTMeasurement is told of a round trip measured from an RTTM reply.
	OnRTTMeasurement(nowNs, rttNs int64)
	// OnTrackRebuild returns the receiver window length to advertise and
	// whether an SM must be sent now (Aeron packs these in one long). The
	// image sends one anyway when the window length changes.
	OnTrackRebuild(nowNs, newConsumptionPosition, lastSMPosition, hwmPosition,
		startingRebuildPosition, endingRebuildPosition int64, lossOccurred bool) (window int, forceSM bool)
	// InitialWindowLength is the window the first SM advertises.
	InitialWindowLength() int
	// MaxWindowLength is the largest window the control will advertise.
	MaxWindowLength() int
	// RTT is the last measured round trip in nanoseconds, 0 before the first
	// (Aeron's rcv-cc-cubic-rtt counter); static returns 0.
	RTT() int64
	// Window is the current window length (Aeron's rcv-cc-cubic-wnd
	// counter); static returns its fixed window.
	Window() int
}

// Names, as in the cc URI value.
const (
	NameStatic = "static"
	NameCubic  = "cubic"
)

// Aeron's defaults (aeron_driver_context.c, CubicCongestionControlConfiguration).
const (
	DefaultInitialWindowLength = 128 * 1024
	DefaultCubicInitialRTT     = 100 * time.Microsecond
)

// Options configure a control.
type Options struct {
	// InitialWindowLength is the channel's rcv-wnd or
	// aeron.rcv.initial.window.length; 0 means 128 KiB.
	InitialWindowLength int
	// TermLength is the image's term length; the window is at most half.
	TermLength int
	// MTU is the sender's MTU (from its SETUP); cubic counts the window in
	// MTUs.
	MTU int
	// SocketRcvBuf is the receive socket's SO_RCVBUF, 0 = unknown. Aeron
	// refuses a channel whose initial window exceeds it (see
	// CheckWindowForRcvBuf), and so does New.
	SocketRcvBuf int
	// CubicMeasureRTT is aeron.CubicCongestionControl.measureRtt (false).
	CubicMeasureRTT bool
	// CubicInitialRTT is aeron.CubicCongestionControl.initialRtt; 0 means
	// 100 µs. It paces window updates and starts the RTT estimate.
	CubicInitialRTT time.Duration
	// CubicTCPMode is aeron.CubicCongestionControl.tcpMode (false).
	CubicTCPMode bool
	// NowNs is the receiver's clock when the image is created: cubic's
	// growth is timed from it (Aeron reads its cached clock there). It must
	// be the clock later passed to OnTrackRebuild.
	NowNs int64
}

// ErrInvalid is wrapped by every error New returns.
var ErrInvalid = errors.New("invalid congestion control")

// New builds the control for a channel's cc URI value: "" or "static" →
// static window, "cubic" → CUBIC. Anything else is an error naming the value.
func New(cc string, opts Options) (Control, error) {
	if cc != "" && cc != NameStatic && cc != NameCubic {
		return nil, fmt.Errorf("cc=%s: unknown congestion control (want static or cubic): %w", cc, ErrInvalid)
	}
	if opts.TermLength <= 0 {
		return nil, fmt.Errorf("cc=%s: term length %d: %w", cc, opts.TermLength, ErrInvalid)
	}
	if opts.InitialWindowLength < 0 {
		return nil, fmt.Errorf("cc=%s: initial window %d is negative: %w", cc, opts.InitialWindowLength, ErrInvalid)
	}
	initial := opts.InitialWindowLength
	if initial == 0 {
		initial = DefaultInitialWindowLength
	}
	if err := CheckWindowForRcvBuf(initial, opts.SocketRcvBuf); err != nil {
		return nil, fmt.Errorf("cc=%s: %w", cc, err)
	}
	window := ReceiverWindowLength(initial, opts.TermLength)
	if cc == NameCubic {
		c, err := newCubic(window, opts)
		if err != nil {
			return nil, fmt.Errorf("cc=%s: %w", cc, err)
		}
		return c, nil
	}
	return &staticWindow{window: window}, nil
}

// ReceiverWindowLength is the window a receiver may advertise: the initial
// window, but at most half a term (aeron_receiver_window_length), so a
// sender can never lap a term the receiver has yet to clean.
func ReceiverWindowLength(initialWindowLength, termLength int) int {
	return min(initialWindowLength, termLength/2)
}

// CheckWindowForRcvBuf refuses an initial window larger than the receive
// socket's buffer, as Aeron's conductor does when a subscription is added
// (aeron_driver_conductor_validate_initial_window_for_rcvbuf): the kernel
// would drop what the window lets the sender send. soRcvBuf 0 means unknown,
// and passes.
func CheckWindowForRcvBuf(initialWindowLength, soRcvBuf int) error {
	if soRcvBuf != 0 && initialWindowLength > soRcvBuf {
		return fmt.Errorf("initial window greater than SO_RCVBUF: rcv-wnd=%d so-rcvbuf=%d: %w",
			initialWindowLength, soRcvBuf, ErrInvalid)
	}
	return nil
}

// staticWindow is Aeron's StaticWindowCongestionControl: one window, never
// measured, never forced.
type staticWindow struct {
	window int
}

func (s *staticWindow) ShouldMeasureRTT(nowNs int64) bool   { return false }
func (s *staticWindow) OnRTTMeasurementSent(nowNs int64)    {}
func (s *staticWindow) OnRTTMeasurement(nowNs, rttNs int64) {}
func (s *staticWindow) OnTrackRebuild(nowNs, newConsumptionPosition, lastSMPosition, hwmPosition,
	startingRebuildPosition, endingRebuildPosition int64, lossOccurred bool) (int, bool) {
	return s.window, false
}
func (s *staticWindow) InitialWindowLength() int { return s.window }
func (s *staticWindow) MaxWindowLength() int     { return s.window }
func (s *staticWindow) RTT() int64               { return 0 }
func (s *staticWindow) Window() int              { return s.window }
