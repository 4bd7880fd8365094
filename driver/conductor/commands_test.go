package conductor

import (
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

func TestCounters(t *testing.T) {
	r := newRig(t)
	r.send(command.AddCounter)(command.EncodeAddCounter(r.buf, 3, 50, 1001, []byte{1, 2, 3, 4}, "orders"))
	rs := r.work()
	// The first is the client's heartbeat counter, the second the user's.
	var ready []command.CounterUpdate
	for _, x := range rs {
		if x.typ == command.OnCounterReady {
			u, _ := command.DecodeCounterUpdate(x.body)
			ready = append(ready, u)
		}
	}
	if len(ready) != 2 || ready[0].CorrelationID != 3 || ready[1].CorrelationID != 50 {
		t.Fatalf("counter ready %+v", ready)
	}
	id := ready[1].CounterID
	if r.reader.CounterLabel(id) != "orders" || r.reader.CounterTypeID(id) != 1001 {
		t.Fatalf("counter %d: %q type %d", id, r.reader.CounterLabel(id), r.reader.CounterTypeID(id))
	}
	if r.reader.CounterLabel(ready[0].CounterID) != "client-heartbeat: id=3" {
		t.Fatalf("heartbeat label %q", r.reader.CounterLabel(ready[0].CounterID))
	}

	r.send(command.RemoveCounter)(command.EncodeRemoveCounter(r.buf, 3, 51, 50))
	rs = r.work()
	if ok, _ := command.DecodeOperationSucceeded(find(t, rs, command.OnOperationSuccess)); ok != 51 {
		t.Fatalf("operation success for %d", ok)
	}
	if u, _ := command.DecodeCounterUpdate(find(t, rs, command.OnUnavailableCounter)); u.CorrelationID != 50 || u.CounterID != id {
		t.Fatalf("unavailable counter %+v", u)
	}
	if r.reader.CounterState(id) == counters.StateAllocated {
		t.Fatal("removed counter still allocated")
	}
	r.send(command.RemoveCounter)(command.EncodeRemoveCounter(r.buf, 3, 52, 50))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrUnknownCounter || e.OffendingCorrelationID != 52 {
		t.Fatalf("second remove: %+v", e)
	}

	// A static counter is found again by type and registration id, and
	// outlives its client.
	r.send(command.AddStaticCounter)(command.EncodeAddStaticCounter(r.buf, 3, 53, 777, 2000, nil, "static"))
	s1, _ := command.DecodeCounterUpdate(find(t, r.work(), command.OnStaticCounter))
	r.send(command.AddStaticCounter)(command.EncodeAddStaticCounter(r.buf, 4, 54, 777, 2000, nil, "static"))
	s2, _ := command.DecodeCounterUpdate(find(t, r.work(), command.OnStaticCounter))
	if s1.CounterID != s2.CounterID || s2.CorrelationID != 54 {
		t.Fatalf("static counters %+v %+v", s1, s2)
	}
	r.advance(5 * time.Second)
	if r.reader.CounterState(s1.CounterID) != counters.StateAllocated {
		t.Fatal("static counter freed with its client")
	}
}

func TestClientCloseReleasesWithoutTimeout(t *testing.T) {
	r := newRig(t)
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 8, 60, 5, "aeron:ipc"))
	r.work()
	r.send(command.ClientClose)(command.EncodeClientClose(r.buf, 8, 61))
	rs := r.advance(time.Second)
	for _, x := range rs {
		if x.typ == command.OnClientTimeout {
			t.Fatal("a closed client is not timed out")
		}
	}
	find(t, rs, command.OnUnavailableCounter)
	if r.reader.CounterValue(counters.ClientTimeoutsID) != 0 {
		t.Fatal("client timeouts counted a close")
	}
}

func TestKeepaliveKeepsClientAlive(t *testing.T) {
	r := newRig(t)
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 9, 70, 5, "aeron:ipc"))
	r.work()
	for i := 0; i < 5; i++ {
		r.send(command.ClientKeepalive)(command.EncodeClientKeepalive(r.buf, 9, 71))
		for _, x := range r.advance(time.Second) {
			if x.typ == command.OnClientTimeout {
				t.Fatalf("timed out after %d keepalives", i)
			}
		}
	}
	find(t, r.advance(5*time.Second), command.OnClientTimeout)
}

func TestNextSessionIDAndNetworkChannels(t *testing.T) {
	r := newRig(t)
	r.send(command.GetNextAvailableSessionID)(command.EncodeGetNextAvailableSessionID(r.buf, 1, 80, 5))
	if n, err := command.DecodeNextAvailableSessionID(find(t, r.work(), command.OnNextAvailableSessionID)); err != nil || n.CorrelationID != 80 {
		t.Fatalf("next session id %+v %v", n, err)
	}
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 81, 5, "aeron:udp?endpoint=127.0.0.1:40123"))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrInvalidChannel || !strings.Contains(string(e.Message), "network backend") {
		t.Fatalf("udp publication: %+v", e)
	}
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 1, 82, 5, "aeron:ipc?term-length=3"))
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 83, 5, "aeron:ipc?term-length=3"))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrInvalidChannel || e.OffendingCorrelationID != 83 {
		t.Fatalf("bad term length: %+v", e)
	}
}

func TestTerminateDriver(t *testing.T) {
	for _, validator := range []string{"deny", "allow"} {
		t.Run(validator, func(t *testing.T) {
			r := newRig(t)
			r.c.cfg.DriverTerminationValidator = validator
			terminated := false
			r.c.ctx.Terminate = func() { terminated = true }
			r.send(command.TerminateDriver)(command.EncodeTerminateDriver(r.buf, 1, 90, nil))
			r.work()
			if terminated != (validator == "allow") {
				t.Fatalf("validator %s: terminated=%v", validator, terminated)
			}
		})
	}
}
