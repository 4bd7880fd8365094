package lossdetect

import (
	"math"
	"math/rand"
	randv2 "math/rand/v2"
)

// Defaults of the NAK delay settings (Configuration.java 1.51).
const (
	// DefaultNakUnicastDelayNs is aeron.nak.unicast.delay's default, also
	// its minimum.
	DefaultNakUnicastDelayNs = 1000
	// MinNakUnicastDelayNs is the smallest unicast NAK delay a retry delay
	// is derived from (NAK_UNICAST_DELAY_MIN_VALUE_NS).
	MinNakUnicastDelayNs = 1000
	// DefaultNakUnicastRetryDelayRatio is
	// aeron.nak.unicast.retry.delay.ratio's default.
	DefaultNakUnicastRetryDelayRatio = 100
	// DefaultNakMulticastMaxBackoffNs is aeron.nak.multicast.max.backoff's
	// default.
	DefaultNakMulticastMaxBackoffNs = 10_000_000
	// DefaultNakMulticastGroupSize is aeron.nak.multicast.group.size's
	// default.
	DefaultNakMulticastGroupSize = 10
)

// DelayGenerator yields NAK delays (Aeron's FeedbackDelayGenerator).
type DelayGenerator interface {
	// Delay returns the delay in ns before a NAK; retry is true for
	// repeats of the same gap.
	Delay(retry bool) int64
}

// UnicastRetryDelay is the retry delay for a channel's nak-delay URI
// parameter: the delay, raised to MinNakUnicastDelayNs, times ratio, as
// DriverConductor.resolveDelayGenerator derives it.
func UnicastRetryDelay(nakDelayNs, ratio int64) int64 {
	return max(nakDelayNs, MinNakUnicastDelayNs) * ratio
}

type static struct{ delayNs, retryDelayNs int64 }

func (s *static) Delay(retry bool) int64 {
	if retry {
		return s.retryDelayNs
	}
	return s.delayNs
}

// NewStatic is the unicast generator: delayNs before the first NAK of a
// gap and retryDelayNs before each repeat (StaticDelayGenerator(delay,
// retryDelay)). NewStatic(0, 0) is the unreliable images' generator.
func NewStatic(delayNs, retryDelayNs int64) DelayGenerator {
	return &static{delayNs: delayNs, retryDelayNs: retryDelayNs}
}

// optimalMulticast draws delay = (T/λ)·ln(x·(e^λ−1)·T/λ) with λ =
// ln(groupSize)+1 and x uniform in [λ/(T(e^λ−1)), λ/(T(e^λ−1)) + λ/T),
// which puts delays in [0, T) with density rising towards T
// (OptimalMulticastDelayGenerator.java, aeron_loss_detector.c).
type optimalMulticast struct {
	randMax   float64
	baseX     float64
	constantT float64
	factorT   float64
	// Its own source, so the caller's *rand.Rand, usually the conductor's,
	// is never touched from the receiver's thread.
	src randv2.PCG
}

// NewOptimalMulticast is the randomized exponential back-off for groups:
// delays in [0, maxBackoffNs), the same distribution for first NAKs and
// retries. rnd only seeds the generator's own source and is not kept; nil
// seeds from the runtime's random source. A non-positive maxBackoffNs
// gives zero delays and a groupSize below 1 counts as 1, so configuration
// cannot produce NaN delays.
func NewOptimalMulticast(maxBackoffNs int64, groupSize int, rnd *rand.Rand) DelayGenerator {
	g := &optimalMulticast{}
	if rnd != nil {
		g.src.Seed(rnd.Uint64(), rnd.Uint64())
	} else {
		g.src.Seed(randv2.Uint64(), randv2.Uint64())
	}
	if maxBackoffNs <= 0 {
		return g
	}
	t := float64(maxBackoffNs)
	lambda := math.Log(float64(max(groupSize, 1))) + 1
	g.randMax = lambda / t
	g.baseX = lambda / (t * (math.Exp(lambda) - 1))
	g.constantT = t / lambda
	g.factorT = (math.Exp(lambda) - 1) * (t / lambda)
	return g
}

func (g *optimalMulticast) Delay(bool) int64 {
	if g.constantT == 0 {
		return 0
	}
	// 53 random bits give a float64 uniform in [0, 1).
	u := float64(g.src.Uint64()>>11) / (1 << 53)
	x := u*g.randMax + g.baseX
	return int64(g.constantT * math.Log(x*g.factorT))
}
