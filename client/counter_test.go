package client

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// A client's counters live in cnc.dat, where other clients and tools read
// them, until the counter or its client closes.
func TestCounters(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		owner := connect(t, dir, nil)
		other := connect(t, dir, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		const typeID = 1101
		cn, err := owner.AddCounter(ctx, typeID, []byte{1, 2, 3, 4}, "orders processed: desk=7")
		if err != nil {
			t.Fatal(err)
		}
		r := other.CountersReader()
		if r.CounterTypeID(cn.ID()) != typeID || r.CounterLabel(cn.ID()) != "orders processed: desk=7" ||
			r.RegistrationID(cn.ID()) != cn.RegistrationID() || string(r.Key(cn.ID())[:4]) != "\x01\x02\x03\x04" {
			t.Fatalf("counter %d as another client sees it: type %d, label %q, registration %d (want %d), key %x",
				cn.ID(), r.CounterTypeID(cn.ID()), r.CounterLabel(cn.ID()), r.RegistrationID(cn.ID()), cn.RegistrationID(), r.Key(cn.ID()))
		}
		if cn.Label() != "orders processed: desk=7" {
			t.Fatalf("label %q", cn.Label())
		}
		cn.Set(40)
		if prev := cn.Add(2); prev != 40 || cn.Get() != 42 || r.CounterValue(cn.ID()) != 42 {
			t.Fatalf("add returned %d, value %d, seen %d", prev, cn.Get(), r.CounterValue(cn.ID()))
		}
		if n := testing.AllocsPerRun(100, func() { cn.Add(1); cn.Set(cn.Get()) }); n != 0 {
			t.Fatalf("counter updates allocate %v", n)
		}

		// Closing frees it: the owner's handle closes and the record is
		// no longer allocated.
		if err := cn.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := cn.Close(ctx); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if !cn.IsClosed() {
			t.Fatal("counter open after Close")
		}
		// Aeron's Java driver may answer before it frees the record.
		waitFor(t, 10*time.Second, "the closed counter freed", func() bool {
			return r.CounterState(cn.ID()) != counters.StateAllocated || r.RegistrationID(cn.ID()) != cn.RegistrationID()
		})

		// A counter goes with its client.
		second, err := owner.AddCounter(ctx, typeID, nil, "second")
		if err != nil {
			t.Fatal(err)
		}
		if err := owner.Close(); err != nil {
			t.Fatal(err)
		}
		if !second.IsClosed() {
			t.Fatal("counter open after its client closed")
		}
		waitFor(t, 10*time.Second, "the closed client's counter freed", func() bool {
			return r.CounterState(second.ID()) != counters.StateAllocated || r.RegistrationID(second.ID()) != second.RegistrationID()
		})
		if _, err := owner.AddCounter(ctx, typeID, nil, "late"); err == nil {
			t.Fatal("counter added on a closed client")
		}

		// A key or label the driver cannot hold is refused with a reason.
		if _, err := other.AddCounter(ctx, typeID, make([]byte, 200), "big key"); err == nil || !strings.Contains(err.Error(), "key of 200 bytes") {
			t.Fatalf("200-byte key: %v", err)
		}
		if _, err := other.AddCounter(ctx, typeID, nil, strings.Repeat("x", 400)); err == nil || !strings.Contains(err.Error(), "label of 400 bytes") {
			t.Fatalf("400-byte label: %v", err)
		}
	})
}

// The client names itself in its heartbeat counter's label, as Aeron's
// clients do, where AeronStat shows it.
func TestClientNameInHeartbeatLabel(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, func(cfg *Config) { cfg.ClientName = "pricer-7" })
		// A driver makes the heartbeat counter with the client's first
		// resource.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.AddSubscription(ctx, "aeron:ipc", 1060); err != nil {
			t.Fatal(err)
		}
		r := c.CountersReader()
		var label string
		waitFor(t, 10*time.Second, "the heartbeat counter's label to name the client", func() bool {
			id := r.FindByTypeIDAndRegistrationID(counters.TypeClientHeartbeat, c.ClientID())
			label = r.CounterLabel(id)
			return strings.Contains(label, " name=pricer-7 version=")
		})
		t.Logf("heartbeat counter: %q", label)
		if !strings.HasPrefix(label, "client-heartbeat: ") || strings.Count(label, "name=") != 1 {
			t.Fatalf("label %q", label)
		}
		_, err := Connect(context.Background(), Config{Dir: dir, ClientName: strings.Repeat("n", MaxClientNameLength+1)})
		if err == nil || !strings.Contains(err.Error(), "client name of 101 bytes") {
			t.Fatalf("101-byte client name: %v", err)
		}
	})
}
