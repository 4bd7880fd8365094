package agent

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type counting struct {
	calls  atomic.Int64
	closed atomic.Bool
	fail   bool
}

func (c *counting) RoleName() string { return "counting" }
func (c *counting) DoWork() (int, error) {
	n := c.calls.Add(1)
	if c.fail && n%2 == 0 {
		return 0, errors.New("boom")
	}
	if c.fail && n%3 == 0 {
		panic("worse")
	}
	return 0, nil
}
func (c *counting) OnClose() { c.closed.Store(true) }

func TestRunnerKeepsGoingAfterErrors(t *testing.T) {
	a := &counting{fail: true}
	var errs atomic.Int64
	r := NewRunner("test", Sleeping{Period: time.Microsecond}, func(string, error) { errs.Add(1) }, a)
	r.Start()
	deadline := time.Now().Add(5 * time.Second)
	for a.calls.Load() < 50 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if err := r.Close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if a.calls.Load() < 50 || errs.Load() < 10 || !a.closed.Load() {
		t.Fatalf("calls %d errors %d closed %v", a.calls.Load(), errs.Load(), a.closed.Load())
	}
}

func TestParseIdleStrategy(t *testing.T) {
	for name, want := range map[string]string{
		"spin": "spin", "busy_spin": "spin", "org.agrona.concurrent.BusySpinIdleStrategy": "spin",
		"yield": "yield", "sleep-ns": "sleep-ns", "backoff": "backoff", "noop": "noop",
		"org.agrona.concurrent.BackoffIdleStrategy": "backoff", "org.agrona.concurrent.SleepingMillisIdleStrategy": "sleep-ns",
	} {
		s, err := ParseIdleStrategy(name)
		if err != nil || s.Name() != want {
			t.Errorf("%s: %v %v", name, s, err)
		}
	}
	if _, err := ParseIdleStrategy("nap"); err == nil {
		t.Fatal("unknown strategy accepted")
	}
}

func TestBackoffAllocatesNothing(t *testing.T) {
	b := NewBackoff()
	b.MinPark, b.MaxPark = time.Nanosecond, time.Nanosecond
	if n := testing.AllocsPerRun(100, func() { b.Idle(0) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
