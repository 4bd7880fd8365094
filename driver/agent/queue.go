package agent

import (
	"sync"
	"sync/atomic"
)

// Queue carries commands from one agent to another (the conductor to the
// sender and receiver, and back). Commands are rare lifecycle events, so a
// mutex-guarded slice is enough; the consumer's empty check is one atomic
// load, which keeps the duty cycle cheap. Unlike a bounded channel it never
// blocks the producer, so agents sharing one thread cannot deadlock.
type Queue[T any] struct {
	mu      sync.Mutex
	pending []T
	spare   []T
	n       atomic.Int32
}

// Offer appends a command.
func (q *Queue[T]) Offer(v T) {
	q.mu.Lock()
	q.pending = append(q.pending, v)
	q.n.Store(int32(len(q.pending)))
	q.mu.Unlock()
}

// Drain hands every queued command to fn in order and returns how many
// there were.
func (q *Queue[T]) Drain(fn func(T)) int {
	if q.n.Load() == 0 {
		return 0
	}
	q.mu.Lock()
	batch := q.pending
	q.pending = q.spare[:0]
	q.n.Store(0)
	q.mu.Unlock()
	for i := range batch {
		fn(batch[i])
		var zero T
		batch[i] = zero
	}
	q.spare = batch[:0]
	return len(batch)
}
