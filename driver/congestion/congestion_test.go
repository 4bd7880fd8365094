package congestion

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStaticWindow(t *testing.T) {
	tests := []struct {
		initial, term, rcvbuf, want int
	}{
		{0, 16 << 20, 0, 128 << 10},         // the default initial window
		{0, 64 << 10, 0, 32 << 10},          // half a term at most
		{256 << 10, 16 << 20, 0, 256 << 10}, // rcv-wnd
		{256 << 10, 256 << 10, 0, 128 << 10},
		{64 << 10, 16 << 20, 64 << 10, 64 << 10}, // equal to SO_RCVBUF is fine
	}
	for _, tt := range tests {
		for _, cc := range []string{"", "static"} {
			c, err := New(cc, Options{InitialWindowLength: tt.initial, TermLength: tt.term, MTU: 1408, SocketRcvBuf: tt.rcvbuf})
			if err != nil {
				t.Fatalf("%+v: %v", tt, err)
			}
			w, force := c.OnTrackRebuild(1, 100, 0, 200, 0, 200, true)
			if w != tt.want || force || c.InitialWindowLength() != tt.want || c.MaxWindowLength() != tt.want ||
				c.Window() != tt.want || c.RTT() != 0 || c.ShouldMeasureRTT(1e12) {
				t.Errorf("cc=%q %+v: window %d force %v initial %d max %d, want %d", cc, tt, w, force,
					c.InitialWindowLength(), c.MaxWindowLength(), tt.want)
			}
			c.OnRTTMeasurementSent(1)
			c.OnRTTMeasurement(2, 3)
		}
	}
}

func TestNewErrors(t *testing.T) {
	ok := Options{TermLength: 64 << 10, MTU: 1024}
	tests := []struct {
		cc      string
		mod     func(*Options)
		mention string
	}{
		{"reno", nil, "cc=reno: unknown congestion control"},
		{"Cubic", nil, "cc=Cubic: unknown congestion control"},
		{"static,x", nil, "cc=static,x: unknown"},
		{"", func(o *Options) { o.TermLength = 0 }, "term length 0"},
		{"", func(o *Options) { o.InitialWindowLength = -1 }, "initial window -1 is negative"},
		{"static", func(o *Options) { o.InitialWindowLength, o.SocketRcvBuf = 256<<10, 128<<10 },
			"cc=static: initial window greater than SO_RCVBUF: rcv-wnd=262144 so-rcvbuf=131072"},
		{"", func(o *Options) { o.SocketRcvBuf = 64 << 10 }, "rcv-wnd=131072 so-rcvbuf=65536"},
		{"cubic", func(o *Options) { o.MTU = 0 }, "cc=cubic: MTU 0"},
		{"cubic", func(o *Options) { o.MTU = 64 << 10 }, "receiver window 32768 is smaller than the MTU 65536"},
		{"cubic", func(o *Options) { o.CubicInitialRTT = -time.Second }, "initial RTT -1s is negative"},
	}
	for _, tt := range tests {
		o := ok
		if tt.mod != nil {
			tt.mod(&o)
		}
		_, err := New(tt.cc, o)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("New(%q, %+v) = %v, want an error mentioning %q", tt.cc, o, err, tt.mention)
		}
	}
}

func newCubicT(t *testing.T, o Options) Control {
	t.Helper()
	c, err := New("cubic", o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type rebuild struct {
	now              int64
	loss             bool
	consumed, lastSM int64
	window           int
	force            bool
}

func replay(t *testing.T, c Control, steps []rebuild) {
	t.Helper()
	for i, s := range steps {
		w, f := c.OnTrackRebuild(s.now, s.consumed, s.lastSM, 0, 0, 0, s.loss)
		if w != s.window || f != s.force || c.Window() != s.window {
			t.Fatalf("step %d (now %d loss %v): window %d force %v, want %d %v", i, s.now, s.loss, w, f, s.window, s.force)
		}
	}
}

// The expected windows below are Aeron's formulas worked by hand for MTU
// 1024 and a 32 KiB maximum window (64 KiB terms): maxCwnd 32, initial cwnd
// 10, Wmax 32, K = cbrt(32·0.2/0.4) = 2.5198 s, window updates every 100 µs.
func TestCubicWindowEvolution(t *testing.T) {
	const s = int64(time.Second)
	start := 7 * s // any clock origin
	c := newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024, NowNs: start})
	if c.InitialWindowLength() != 10240 || c.MaxWindowLength() != 32768 || c.Window() != 10240 {
		t.Fatalf("initial %d max %d window %d", c.InitialWindowLength(), c.MaxWindowLength(), c.Window())
	}
	replay(t, c, []rebuild{
		// Too soon after the last update: unchanged.
		{now: start + 50_000, window: 10240},
		// t ≈ 0: 0.4·(0−2.5198)³ = −6.4 → 32−6 = 26.
		{now: start + 100_001, window: 26624},
		// t = 1 s: 0.4·(−1.5198)³ = −1.40 → 31.
		{now: start + s, window: 31744},
		// t = 3 s: 0.4·(0.48)³ = 0.04 → 32, the maximum.
		{now: start + 3*s, window: 32768},
		// At the maximum nothing changes until a loss.
		{now: start + 4*s, window: 32768},
		// Loss: Wmax = 32, cwnd = ⌊32·0.8⌋ = 25, and an SM now.
		{now: start + 5*s, loss: true, window: 25600, force: true},
		// The cubic curve from the loss: 32 + ⌊0.4·(0.00005−2.5198)³⌋ = 26.
		{now: start + 5*s + 50_000, window: 26624},
	})
	// Repeated losses cut a fifth each time, down to one MTU.
	at := start + 5*s + 60_000
	for _, w := range []int{20, 16, 12, 9, 7, 5, 4, 3, 2, 1, 1} {
		replay(t, c, []rebuild{{now: at, loss: true, window: w * 1024, force: true}})
	}
	replay(t, c, []rebuild{
		// At one MTU, progress by the application forces an SM...
		{now: at + 10_000, consumed: 10, lastSM: 5, window: 1024, force: true},
		// ...and no progress does not.
		{now: at + 10_000, consumed: 5, lastSM: 5, window: 1024},
		// Wmax is now 1, K = cbrt(0.5) = 0.794 s: 1 + ⌊0.4·(0.00014−0.794)³⌋ = 1.
		{now: at + 140_000, window: 1024},
		// 3 s after the loss: 1 + ⌊0.4·(3−0.794)³⌋ = 1 + ⌊4.30⌋ = 5.
		{now: at + 3*s, window: 5120},
	})
}

func TestCubicTCPMode(t *testing.T) {
	c := newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024, CubicTCPMode: true})
	replay(t, c, []rebuild{
		// Cubic gives 26; W_tcp = 32·0.8 + (1/3)·(0.0001/0.0001) = 25.93 → 25: cubic wins.
		{now: 100_001, window: 26624},
	})
	// With a 10 ms RTT at t = 50 ms: cubic 26, W_tcp = 25.6 + (1/3)·5 = 27.27 → 27.
	c.OnRTTMeasurement(40_000_000, 10_000_000)
	replay(t, c, []rebuild{{now: 50_000_000, window: 27648}})
	// At t = 1 s, W_tcp = 25.6 + 33.3 = 58.9 MTUs: bounded by the maximum, 32.
	replay(t, c, []rebuild{{now: 1_000_000_000, window: 32768}})
	if c.RTT() != 10_000_000 {
		t.Errorf("RTT %d", c.RTT())
	}
}

func TestCubicLongSilence(t *testing.T) {
	// A clock far from the creation time (or an image created with NowNs 0
	// on a monotonic clock) must not overflow the window.
	c := newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024})
	replay(t, c, []rebuild{
		{now: 0, loss: true, window: 8192, force: true},
		{now: 1 << 62, window: 32768},
	})
	c = newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024, CubicTCPMode: true})
	c.OnRTTMeasurement(1, 0) // a zero RTT must not poison the window
	replay(t, c, []rebuild{{now: 200_000, window: 32768}})
}

func TestCubicRTTMeasurement(t *testing.T) {
	c := newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024})
	if c.ShouldMeasureRTT(1e12) {
		t.Fatal("measures without CubicMeasureRTT")
	}
	c = newCubicT(t, Options{TermLength: 64 << 10, MTU: 1024, CubicMeasureRTT: true, CubicInitialRTT: 100 * time.Microsecond})
	checks := []struct {
		now  int64
		want bool
	}{{400_000, false}, {400_001, true}}
	for _, ch := range checks {
		if got := c.ShouldMeasureRTT(ch.now); got != ch.want {
			t.Errorf("ShouldMeasureRTT(%d) = %v", ch.now, got)
		}
	}
	// The timeout runs from the last RTTM sent, 4 × the initial RTT...
	c.OnRTTMeasurementSent(1_000_000)
	if c.ShouldMeasureRTT(1_400_000) || !c.ShouldMeasureRTT(1_400_001) {
		t.Error("timeout after sending")
	}
	// ...or 4 × the measured RTT if that is longer.
	c.OnRTTMeasurement(2_000_000, 50_000)
	if c.RTT() != 50_000 || c.ShouldMeasureRTT(2_400_000) || !c.ShouldMeasureRTT(2_400_001) {
		t.Error("short RTT: timeout is 4 × the initial RTT")
	}
	c.OnRTTMeasurement(3_000_000, 1_000_000)
	if c.ShouldMeasureRTT(7_000_000) || !c.ShouldMeasureRTT(7_000_001) {
		t.Error("long RTT: timeout is 4 × the RTT")
	}
}

func TestCubicSmallWindow(t *testing.T) {
	// A maximum window under 10 MTUs starts there.
	c := newCubicT(t, Options{InitialWindowLength: 8 << 10, TermLength: 64 << 10, MTU: 1408})
	if c.InitialWindowLength() != 5*1408 || c.MaxWindowLength() != 8192 {
		t.Errorf("initial %d max %d", c.InitialWindowLength(), c.MaxWindowLength())
	}
}

func TestHotPathAllocatesNothing(t *testing.T) {
	for _, cc := range []string{"static", "cubic"} {
		c, err := New(cc, Options{TermLength: 1 << 20, MTU: 1408, CubicMeasureRTT: true, CubicTCPMode: true})
		if err != nil {
			t.Fatal(err)
		}
		now := int64(0)
		sink := 0
		allocs := testing.AllocsPerRun(1000, func() {
			now += 150_000
			w, f := c.OnTrackRebuild(now, now, now-1, now, 0, now, now%7 == 0)
			sink += w
			if f && c.ShouldMeasureRTT(now) {
				c.OnRTTMeasurementSent(now)
				c.OnRTTMeasurement(now, 80_000)
			}
			sink += c.Window() + int(c.RTT())
		})
		if allocs != 0 {
			t.Errorf("cc=%s: %v allocations per run", cc, allocs)
		}
		_ = sink
	}
}

func BenchmarkCubicOnTrackRebuild(b *testing.B) {
	c, err := New("cubic", Options{TermLength: 1 << 24, MTU: 1408, CubicTCPMode: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	now := int64(0)
	for b.Loop() {
		now += 150_000
		c.OnTrackRebuild(now, now, now-1, now, 0, now, now%(1<<20) == 0)
	}
}
