package agent

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Agent is a unit of duty-cycle work.
type Agent interface {
	// RoleName names the agent in logs.
	RoleName() string
	// DoWork does a bounded amount of work and reports how much. An error
	// is reported to the runner's handler; the agent keeps running.
	DoWork() (int, error)
	// OnClose releases what the agent holds; called on the agent's thread
	// after its last duty cycle.
	OnClose()
}

// ErrorHandler receives errors (and recovered panics) from agents.
type ErrorHandler func(role string, err error)

// Runner runs agents on one locked OS thread until closed.
type Runner struct {
	name    string
	agents  []Agent
	idle    IdleStrategy
	onError ErrorHandler

	running atomic.Bool
	started bool
	done    chan struct{}
	once    sync.Once
}

// NewRunner groups agents onto one thread with an idle strategy.
func NewRunner(name string, idle IdleStrategy, onError ErrorHandler, agents ...Agent) *Runner {
	if onError == nil {
		onError = func(string, error) {}
	}
	return &Runner{name: name, agents: agents, idle: idle, onError: onError, done: make(chan struct{})}
}

// Name is the runner's thread name.
func (r *Runner) Name() string { return r.name }

// Start runs the agents on a new goroutine locked to its OS thread.
func (r *Runner) Start() {
	if r.started {
		return
	}
	r.started = true
	r.running.Store(true)
	go r.run()
}

func (r *Runner) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(r.done)
	for r.running.Load() {
		work := 0
		for _, a := range r.agents {
			work += r.doWork(a)
		}
		r.idle.Idle(work)
	}
	for _, a := range r.agents {
		r.close(a)
	}
}

func (r *Runner) doWork(a Agent) (n int) {
	defer func() {
		if p := recover(); p != nil {
			r.onError(a.RoleName(), fmt.Errorf("panic in duty cycle: %v", p))
			n = 0
		}
	}()
	n, err := a.DoWork()
	if err != nil {
		r.onError(a.RoleName(), err)
	}
	return n
}

func (r *Runner) close(a Agent) {
	defer func() {
		if p := recover(); p != nil {
			r.onError(a.RoleName(), fmt.Errorf("panic on close: %v", p))
		}
	}()
	a.OnClose()
}

// ErrStopTimeout means the agents did not stop in time.
var ErrStopTimeout = errors.New("agent runner did not stop in time")

// Close stops the runner and waits up to timeout for its thread to finish.
func (r *Runner) Close(timeout time.Duration) error {
	if !r.started {
		return nil
	}
	r.once.Do(func() { r.running.Store(false) })
	select {
	case <-r.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s: %w", r.name, ErrStopTimeout)
	}
}
