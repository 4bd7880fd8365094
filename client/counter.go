package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// ErrCounterClosed is returned by Close on a counter the driver already
// removed (its client closed, or another client's request).
var ErrCounterClosed = errors.New("counter closed")

// Counter is a counter the driver allocated for this client in cnc.dat
// (Aeron's Counter): its value is shared memory any process can read, as
// AeronStat does. Get, Set and Add allocate nothing and take no lock.
type Counter struct {
	client         *Client
	registrationID int64
	id             int32
	value          shm.AtomicBuffer // the counter's value
	closed         atomic.Bool
	closeOnce      bool // guarded by client.mu
}

// AddCounter asks the driver for a counter of typeID with key (at most
// 112 bytes) and label (at most 380 bytes), owned by this client: the
// driver frees it when the counter or the client closes.
func (c *Client) AddCounter(ctx context.Context, typeID int32, key []byte, label string) (*Counter, error) {
	// Refused here, as Aeron's clients refuse them: drivers truncate.
	if len(key) > counters.MaxKeyLength {
		return nil, fmt.Errorf("add counter %q: key of %d bytes, at most %d", label, len(key), counters.MaxKeyLength)
	}
	if len(label) > counters.MaxLabelLength {
		return nil, fmt.Errorf("add counter: label of %d bytes, at most %d", len(label), counters.MaxLabelLength)
	}
	pd, corr, err := c.send(command.AddCounter, func(dst []byte, corr int64) (int, error) {
		return command.EncodeAddCounter(dst, c.clientID, corr, typeID, key, label)
	})
	if err != nil {
		return nil, fmt.Errorf("add counter %q: %w", label, err)
	}
	if err := c.await(ctx, pd, corr); err != nil {
		return nil, fmt.Errorf("add counter %q: %w", label, err)
	}
	u, err := command.DecodeCounterUpdate(pd.data)
	if err != nil {
		return nil, fmt.Errorf("add counter %q: %w", label, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	off := int(u.CounterID) * counters.ValueLength
	if !c.values.Valid(off, counters.ValueLength) {
		return nil, fmt.Errorf("add counter %q: driver answered counter id %d, beyond the values buffer", label, u.CounterID)
	}
	cn := &Counter{client: c, registrationID: corr, id: u.CounterID, value: c.values.Slice(off, counters.ValueLength)}
	if c.closed {
		cn.closed.Store(true)
		return cn, nil
	}
	c.counters[corr] = cn
	return cn, nil
}

// ID is the counter's id in cnc.dat.
func (cn *Counter) ID() int32 { return cn.id }

// RegistrationID is the correlation id of the request that made it.
func (cn *Counter) RegistrationID() int64 { return cn.registrationID }

// Label is the counter's label as the driver holds it.
func (cn *Counter) Label() string { return cn.client.CountersReader().CounterLabel(cn.id) }

// Get reads the value with acquire semantics.
func (cn *Counter) Get() int64 { return cn.value.GetInt64Volatile(0) }

// Set writes the value with release semantics.
func (cn *Counter) Set(v int64) { cn.value.PutInt64Ordered(0, v) }

// Add adds delta atomically and returns the value before.
func (cn *Counter) Add(delta int64) int64 { return cn.value.GetAndAddInt64(0, delta) }

// IsClosed reports whether Close was called or the driver removed the
// counter; the value should not be trusted then, since the driver may
// give the id to another counter.
func (cn *Counter) IsClosed() bool { return cn.closed.Load() }

// Close asks the driver to free the counter (REMOVE_COUNTER). Idempotent.
func (cn *Counter) Close(ctx context.Context) error {
	c := cn.client
	c.mu.Lock()
	if cn.closeOnce {
		c.mu.Unlock()
		return nil
	}
	cn.closeOnce = true
	wasClosed := cn.closed.Swap(true)
	delete(c.counters, cn.registrationID)
	clientClosed := c.closed
	c.mu.Unlock()
	if clientClosed {
		return nil
	}
	if wasClosed {
		return fmt.Errorf("close counter %d: %w", cn.id, ErrCounterClosed)
	}
	pd, corr, err := c.send(command.RemoveCounter, func(dst []byte, corr int64) (int, error) {
		return command.EncodeRemoveCounter(dst, c.clientID, corr, cn.registrationID)
	})
	if err != nil {
		return fmt.Errorf("close counter %d: %w", cn.id, err)
	}
	if err := c.await(ctx, pd, corr); err != nil {
		return fmt.Errorf("close counter %d: %w", cn.id, err)
	}
	return nil
}
