package agent

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// IdleStrategy waits between duty cycles that did no work.
type IdleStrategy interface {
	// Idle is called after every duty cycle with its work count.
	Idle(workCount int)
	// Reset forgets any backoff state.
	Reset()
	// Name is Aeron's name for the strategy.
	Name() string
}

// BusySpin never yields the CPU: lowest latency, a whole core.
type BusySpin struct{}

// Idle implements IdleStrategy.
func (BusySpin) Idle(int) {}

// Reset implements IdleStrategy.
func (BusySpin) Reset() {}

// Name implements IdleStrategy.
func (BusySpin) Name() string { return "spin" }

// NoOp does nothing at all when idle.
type NoOp struct{ BusySpin }

// Name implements IdleStrategy.
func (NoOp) Name() string { return "noop" }

// Yielding yields the processor when idle.
type Yielding struct{}

// Idle implements IdleStrategy.
func (Yielding) Idle(workCount int) {
	if workCount == 0 {
		runtime.Gosched()
	}
}

// Reset implements IdleStrategy.
func (Yielding) Reset() {}

// Name implements IdleStrategy.
func (Yielding) Name() string { return "yield" }

// park blocks the calling OS thread in the kernel for d. Agents run on
// locked threads; time.Sleep would park the goroutine and make the
// scheduler hand the thread's P to another thread and back on every wake-up,
// costing the busy clients beside the driver far more CPU than one
// nanosleep (which is what Java's parkNanos amounts to).
func park(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for {
		err := unix.Nanosleep(&ts, &ts)
		if err != unix.EINTR {
			return
		}
	}
}

// Sleeping sleeps a fixed time when idle.
type Sleeping struct{ Period time.Duration }

// Idle implements IdleStrategy.
func (s Sleeping) Idle(workCount int) {
	if workCount == 0 {
		park(s.Period)
	}
}

// Reset implements IdleStrategy.
func (Sleeping) Reset() {}

// Name implements IdleStrategy.
func (Sleeping) Name() string { return "sleep-ns" }

// Backoff spins, then yields, then sleeps for exponentially longer up to a
// maximum, as Agrona's BackoffIdleStrategy does.
type Backoff struct {
	MaxSpins, MaxYields int
	MinPark, MaxPark    time.Duration

	spins, yields int
	park          time.Duration
}

// NewBackoff returns Aeron's default backoff (10 spins, 5 yields, 1µs..1ms).
func NewBackoff() *Backoff {
	return &Backoff{MaxSpins: 10, MaxYields: 5, MinPark: time.Microsecond, MaxPark: time.Millisecond}
}

// Idle implements IdleStrategy.
func (b *Backoff) Idle(workCount int) {
	if workCount > 0 {
		b.Reset()
		return
	}
	switch {
	case b.spins < b.MaxSpins:
		b.spins++
	case b.yields < b.MaxYields:
		b.yields++
		runtime.Gosched()
	default:
		if b.park == 0 {
			b.park = b.MinPark
		}
		park(b.park)
		b.park = min(b.park*2, b.MaxPark)
	}
}

// Reset implements IdleStrategy.
func (b *Backoff) Reset() { b.spins, b.yields, b.park = 0, 0, 0 }

// Name implements IdleStrategy.
func (*Backoff) Name() string { return "backoff" }

// ParseIdleStrategy accepts Aeron's names: noop, spin (busy_spin), yield,
// sleep-ns / sleep (1ms), sleep-ms, backoff, and the Agrona class names.
func ParseIdleStrategy(name string) (IdleStrategy, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "org.agrona.concurrent.")
	switch n {
	case "noop", "noopidlestrategy":
		return NoOp{}, nil
	case "spin", "busy_spin", "busyspinidlestrategy":
		return BusySpin{}, nil
	case "yield", "yieldingidlestrategy":
		return Yielding{}, nil
	case "sleep-ns", "sleep", "sleepingidlestrategy":
		return Sleeping{Period: time.Millisecond}, nil
	case "sleep-ms", "sleepingmillisidlestrategy":
		return Sleeping{Period: time.Millisecond}, nil
	case "backoff", "backoffidlestrategy", "":
		return NewBackoff(), nil
	}
	return nil, fmt.Errorf("unknown idle strategy %q", name)
}
