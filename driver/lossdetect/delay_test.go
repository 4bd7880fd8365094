package lossdetect

import (
	"math"
	"math/rand"
	"testing"
)

func TestStatic(t *testing.T) {
	g := NewStatic(1000, 100_000)
	if d := g.Delay(false); d != 1000 {
		t.Errorf("first delay %d, want 1000", d)
	}
	if d := g.Delay(true); d != 100_000 {
		t.Errorf("retry delay %d, want 100000", d)
	}
}

func TestUnicastRetryDelay(t *testing.T) {
	for _, tt := range []struct{ delay, ratio, want int64 }{
		{1000, 100, 100_000},
		{5000, 100, 500_000},
		{0, 100, 100_000}, // raised to the minimum first
		{10, 3, 3000},
	} {
		if got := UnicastRetryDelay(tt.delay, tt.ratio); got != tt.want {
			t.Errorf("UnicastRetryDelay(%d, %d) = %d, want %d", tt.delay, tt.ratio, got, tt.want)
		}
	}
}

// meanFraction is E[delay]/T for the optimal multicast back-off: with
// u uniform in [0,1) and a = e^λ−1, delay/T = ln(1+u·a)/λ, whose mean is
// (λe^λ − e^λ + 1) / (λ(e^λ − 1)).
func meanFraction(groupSize int) float64 {
	l := math.Log(float64(groupSize)) + 1
	e := math.Exp(l)
	return (l*e - e + 1) / (l * (e - 1))
}

func TestOptimalMulticastDistribution(t *testing.T) {
	const samples = 200_000
	for _, tt := range []struct {
		maxBackoff int64
		groupSize  int
	}{
		{DefaultNakMulticastMaxBackoffNs, DefaultNakMulticastGroupSize},
		{60_000_000, 10},
		{10_000_000, 1},
		{1_000_000, 1000},
	} {
		g := NewOptimalMulticast(tt.maxBackoff, tt.groupSize, rand.New(rand.NewSource(42)))
		var sum float64
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for i := range samples {
			d := g.Delay(i%2 == 1)
			lo, hi = min(lo, d), max(hi, d)
			sum += float64(d)
		}
		if lo < 0 || hi >= tt.maxBackoff {
			t.Errorf("T=%d N=%d: delays in [%d, %d], want within [0, %d)", tt.maxBackoff, tt.groupSize, lo, hi, tt.maxBackoff)
		}
		// The extremes are reached: the first 1% and the last 1% of the range.
		if lo > tt.maxBackoff/100 || hi < tt.maxBackoff*99/100 {
			t.Errorf("T=%d N=%d: delays only span [%d, %d]", tt.maxBackoff, tt.groupSize, lo, hi)
		}
		mean := sum / samples / float64(tt.maxBackoff)
		if want := meanFraction(tt.groupSize); math.Abs(mean-want) > 0.01 {
			t.Errorf("T=%d N=%d: mean %.4f·T, want %.4f·T", tt.maxBackoff, tt.groupSize, mean, want)
		}
	}
}

// A larger group pushes delays towards the maximum, so fewer receivers
// NAK early.
func TestOptimalMulticastLargerGroupWaitsLonger(t *testing.T) {
	if !(meanFraction(1) < meanFraction(10) && meanFraction(10) < meanFraction(1000)) {
		t.Fatalf("means %.3f %.3f %.3f not increasing", meanFraction(1), meanFraction(10), meanFraction(1000))
	}
	// Default settings: about 0.735 of 10ms.
	if m := meanFraction(DefaultNakMulticastGroupSize); math.Abs(m-0.7354) > 0.001 {
		t.Fatalf("default mean fraction %.4f", m)
	}
}

func TestOptimalMulticastSeededIsRepeatable(t *testing.T) {
	a := NewOptimalMulticast(10_000_000, 10, rand.New(rand.NewSource(1)))
	b := NewOptimalMulticast(10_000_000, 10, rand.New(rand.NewSource(1)))
	c := NewOptimalMulticast(10_000_000, 10, rand.New(rand.NewSource(2)))
	same, differ := true, false
	for range 100 {
		x, y, z := a.Delay(false), b.Delay(false), c.Delay(false)
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Fatalf("same seed repeats: %v, other seed differs: %v", same, differ)
	}
}

func TestOptimalMulticastDegenerateSettings(t *testing.T) {
	for _, tt := range []struct {
		maxBackoff int64
		groupSize  int
		maxDelay   int64
	}{
		{0, 10, 0},
		{-5, 10, 0},
		{1000, 0, 1000},
		{1000, -3, 1000},
	} {
		g := NewOptimalMulticast(tt.maxBackoff, tt.groupSize, nil)
		for range 1000 {
			if d := g.Delay(false); d < 0 || d > tt.maxDelay {
				t.Fatalf("T=%d N=%d: delay %d outside [0, %d]", tt.maxBackoff, tt.groupSize, d, tt.maxDelay)
			}
		}
	}
}

func TestDelayDoesNotAllocate(t *testing.T) {
	for _, g := range []DelayGenerator{NewStatic(1, 2), NewOptimalMulticast(10_000_000, 10, nil)} {
		if a := testing.AllocsPerRun(1000, func() { g.Delay(true) }); a != 0 {
			t.Errorf("%T: Delay allocates %.1f times per call", g, a)
		}
	}
}

func BenchmarkOptimalMulticastDelay(b *testing.B) {
	g := NewOptimalMulticast(10_000_000, 10, nil)
	b.ReportAllocs()
	for b.Loop() {
		g.Delay(false)
	}
}
