package netdev

import (
	"sync/atomic"
	"time"
)

// subscription is one rtnetlink notification socket (neighbours or
// addresses). Its channel closes when the socket fails or after stop
// closes.
type subscription[T any] struct {
	updates chan T
	stop    chan struct{}
}

func newSubscription[T any](capacity int) subscription[T] {
	return subscription[T]{updates: make(chan T, capacity), stop: make(chan struct{})}
}

// onError is the library's error callback: it counts failures in errs,
// but not the one that closing the socket on purpose causes.
func (s subscription[T]) onError(errs *atomic.Uint64) func(error) {
	return func(error) {
		select {
		case <-s.stop:
		default:
			errs.Add(1)
		}
	}
}

// end closes the socket and waits for its channel to close, so that the
// library's receiving goroutine is not left blocked on a send.
func (s subscription[T]) end() {
	close(s.stop)
	for range s.updates {
	}
}

// resubscribe tries subscribe every resubscribeDelay after a socket
// failed (an overrun, say), counting each attempt in errs, until it
// succeeds or done closes (closing is then true). The caller re-reads
// what it follows, since changes may have been lost meanwhile.
func resubscribe[T any](done <-chan struct{}, errs *atomic.Uint64, subscribe func() (subscription[T], error)) (s subscription[T], closing bool) {
	for {
		errs.Add(1)
		select {
		case <-done:
			return s, true
		case <-time.After(resubscribeDelay):
		}
		if s, err := subscribe(); err == nil {
			return s, false
		}
	}
}
