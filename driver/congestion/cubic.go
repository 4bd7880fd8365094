package congestion

import (
	"fmt"
	"math"
)

// CUBIC's constants as Aeron uses them (CubicCongestionControl). They are
// variables, not constants, so that expressions over them round at each step
// in float64 as Java's and C's do, rather than being folded exactly.
var (
	cubicC = 0.4 // scaling of the cubic growth
	cubicB = 0.2 // multiplicative decrease: the window keeps 1−B on loss
)

const (
	initialCwnd        = 10 // MTUs
	rttTimeoutMultiple = 4
	secondNs           = 1e9
)

// cubic is Aeron's CubicCongestionControl. cwnd and wMax count MTUs.
type cubic struct {
	measureRTT bool
	tcpMode    bool

	mtu           int
	maxCwnd       int
	initialWindow int
	maxWindow     int

	cwnd int
	wMax int
	// k is the time (s) from the last loss until the cubic curve is back at
	// wMax: cbrt(wMax·B/C).
	k float64

	initialRTTNs          int64
	rttNs                 int64 // estimate, used by the TCP region
	measuredRTTNs         int64 // last measurement, 0 before the first
	rttTimeoutNs          int64
	windowUpdateTimeoutNs int64
	lastLossNs            int64
	lastUpdateNs          int64
	lastRTTNs             int64
}

func newCubic(maxWindow int, o Options) (*cubic, error) {
	if o.MTU <= 0 {
		return nil, fmt.Errorf("MTU %d: %w", o.MTU, ErrInvalid)
	}
	if o.CubicInitialRTT < 0 {
		return nil, fmt.Errorf("initial RTT %v is negative: %w", o.CubicInitialRTT, ErrInvalid)
	}
	maxCwnd := maxWindow / o.MTU
	if maxCwnd < 1 {
		// Aeron would advertise a zero window and stall the stream.
		return nil, fmt.Errorf("receiver window %d is smaller than the MTU %d: %w", maxWindow, o.MTU, ErrInvalid)
	}
	rtt := int64(o.CubicInitialRTT)
	if rtt == 0 {
		rtt = int64(DefaultCubicInitialRTT)
	}
	c := &cubic{
		measureRTT:   o.CubicMeasureRTT,
		tcpMode:      o.CubicTCPMode,
		mtu:          o.MTU,
		maxCwnd:      maxCwnd,
		maxWindow:    maxWindow,
		cwnd:         min(initialCwnd, maxCwnd),
		initialRTTNs: rtt,
		rttNs:        rtt,
		// Window updates are paced by the initial RTT, not the measured one,
		// as in Aeron.
		windowUpdateTimeoutNs: rtt,
		rttTimeoutNs:          rtt * rttTimeoutMultiple,
		lastLossNs:            o.NowNs,
		lastUpdateNs:          o.NowNs,
	}
	c.initialWindow = c.cwnd * c.mtu
	// Start with wMax at the largest window, so growth begins in the
	// concave region, heading for the maximum.
	c.wMax = maxCwnd
	c.k = math.Cbrt(float64(c.wMax) * cubicB / cubicC)
	return c, nil
}

func (c *cubic) ShouldMeasureRTT(nowNs int64) bool {
	return c.measureRTT && c.lastRTTNs+c.rttTimeoutNs-nowNs < 0
}

func (c *cubic) OnRTTMeasurementSent(nowNs int64) { c.lastRTTNs = nowNs }

func (c *cubic) OnRTTMeasurement(nowNs, rttNs int64) {
	c.lastRTTNs = nowNs
	c.rttNs = rttNs
	c.measuredRTTNs = rttNs
	c.rttTimeoutNs = max(rttNs, c.initialRTTNs) * rttTimeoutMultiple
}

func (c *cubic) OnTrackRebuild(nowNs, newConsumptionPosition, lastSMPosition, hwmPosition,
	startingRebuildPosition, endingRebuildPosition int64, lossOccurred bool) (int, bool) {
	force := false
	switch {
	case lossOccurred:
		force = true
		c.wMax = c.cwnd
		c.k = math.Cbrt(float64(c.wMax) * cubicB / cubicC)
		c.cwnd = max(1, javaInt(float64(c.cwnd)*(1.0-cubicB)))
		c.lastLossNs = nowNs
	case c.cwnd < c.maxCwnd && c.lastUpdateNs+c.windowUpdateTimeoutNs-nowNs < 0:
		// W_cubic(t) = C·(t − K)³ + Wmax
		t := float64(nowNs-c.lastLossNs) / secondNs
		d := t - c.k
		incr := cubicC * d * d * d
		c.cwnd = min(c.maxCwnd, c.wMax+javaInt(incr))
		if c.tcpMode && c.cwnd < c.wMax {
			// W_tcp(t) = Wmax·(1 − B) + 3B/(2 − B) · t/RTT
			rtt := float64(c.rttNs) / secondNs
			wTCP := float64(c.wMax)*(1.0-cubicB) + ((3.0 * cubicB / (2.0 - cubicB)) * (t / rtt))
			// Aeron does not bound this by the maximum window; we do, so the
			// window never exceeds half a term.
			c.cwnd = max(c.cwnd, min(c.maxCwnd, javaInt(wTCP)))
		}
		c.lastUpdateNs = nowNs
	case c.cwnd == 1 && newConsumptionPosition > lastSMPosition:
		// At the smallest window, every step the application takes must
		// reach the sender at once, or the stream crawls.
		force = true
	}
	return c.cwnd * c.mtu, force
}

func (c *cubic) InitialWindowLength() int { return c.initialWindow }
func (c *cubic) MaxWindowLength() int     { return c.maxWindow }
func (c *cubic) RTT() int64               { return c.measuredRTTNs }
func (c *cubic) Window() int              { return c.cwnd * c.mtu }

// javaInt converts as Java's (int) cast does: toward zero, saturating at the
// int32 range, NaN to 0. Go leaves out-of-range conversions undefined, and a
// long silence since the last loss makes the cubic term huge.
func javaInt(f float64) int {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int(f)
}
