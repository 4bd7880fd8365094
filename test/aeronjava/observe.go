package aeronjava

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// WaitOutput waits until the process printed want, failing the test if it
// exits first or the time runs out.
func (p *Process) WaitOutput(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Output(), want) {
			return
		}
		if p.Exited() {
			t.Fatalf("process exited before printing %q:\n%s", want, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q after %v:\n%s", want, timeout, p.Output())
}

// ExitCode waits for the process and returns its exit code (minus the
// signal number when a signal ended it).
func (p *Process) ExitCode(t testing.TB, timeout time.Duration) int {
	t.Helper()
	err, ok := p.Wait(timeout)
	if !ok {
		t.Fatalf("process still running after %v:\n%s", timeout, p.Output())
	}
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return -int(st.Signal())
		}
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", err)
	return -1
}

// Counter is one allocated counter of a driver, as AeronStat lists it.
type Counter struct {
	ID, TypeID int32
	Label      string
	Value      int64
}

// Counters reads every allocated counter of the driver whose aeron.dir is
// dir, from its cnc.dat, in id order.
func Counters(t testing.TB, dir string) []Counter {
	t.Helper()
	f, err := cnc.Open(dir)
	if err != nil {
		t.Fatalf("counters in %s: %v", dir, err)
	}
	defer f.Close()
	r := counters.NewReader(f.CountersMetadata(), f.CountersValues())
	var out []Counter
	r.ForEach(func(id, typeID int32, _ []byte, label string) {
		out = append(out, Counter{ID: id, TypeID: typeID, Label: label, Value: r.CounterValue(id)})
	})
	return out
}

// SystemCounters are a driver's system counters by label.
func SystemCounters(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range Counters(t, dir) {
		if c.TypeID == counters.TypeSystem {
			out[c.Label] = c.Value
		}
	}
	return out
}

// CounterValue is the value of the first counter whose label starts with
// prefix, and whether there is one.
func CounterValue(t testing.TB, dir, prefix string) (int64, bool) {
	t.Helper()
	for _, c := range Counters(t, dir) {
		if strings.HasPrefix(c.Label, prefix) {
			return c.Value, true
		}
	}
	return 0, false
}

// LogCounters logs a driver's non-zero counters, for failures. It logs
// rather than fails when cnc.dat is gone.
func LogCounters(t testing.TB, name, dir string) {
	t.Helper()
	f, err := cnc.Open(dir)
	if err != nil {
		t.Logf("counters of %s: %v", name, err)
		return
	}
	f.Close()
	var b strings.Builder
	for _, c := range Counters(t, dir) {
		if c.Value != 0 {
			fmt.Fprintf(&b, "  %3d %20d  %s\n", c.ID, c.Value, c.Label)
		}
	}
	t.Logf("counters of %s:\n%s", name, b.String())
}

// CounterLabels lists the labels of a driver's allocated counters.
func CounterLabels(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, c := range Counters(t, dir) {
		out = append(out, c.Label)
	}
	return out
}

// offeredLine is the line Aeron's BasicPublisher sample (and our Go one)
// prints for an offer that succeeded.
var offeredLine = regexp.MustCompile(`Offering (\d+)/\d+ - yay!`)

// Offered returns the numbers of the messages a BasicPublisher sample
// reported offered. The sample offers without waiting for a subscriber, and
// a driver reports a publication ready a moment before it links the
// subscriptions already there (Aeron's drivers do so), so the first offer
// may find the publication not yet connected; tests expect what was
// offered, not every message.
func Offered(out string) []int {
	var got []int
	for _, m := range offeredLine.FindAllStringSubmatch(out, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil {
			got = append(got, n)
		}
	}
	return got
}
