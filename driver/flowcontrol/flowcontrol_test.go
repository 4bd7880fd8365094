package flowcontrol

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
)

const (
	termLength = 1 << 16
	bits       = 16
)

// smAt is an SM from receiver id at (termID, offset) with window, for
// initial term id 0.
func smAt(id int64, termID, offset, window int32) protocol.StatusMessage {
	return protocol.StatusMessage{ReceiverID: id, ConsumptionTermID: termID, ConsumptionTermOffset: offset, ReceiverWindow: window}
}

func tagged(sm protocol.StatusMessage, tag int64) protocol.StatusMessage {
	sm.GroupTag, sm.HasGroupTag = tag, true
	return sm
}

func eos(sm protocol.StatusMessage) protocol.StatusMessage {
	sm.Flags |= protocol.SMFlagEOS
	return sm
}

func mustNew(t testing.TB, fc string, multicast bool) Strategy {
	t.Helper()
	o := DefaultOptions()
	o.Multicast = multicast
	s, err := New(fc, o, termLength)
	if err != nil {
		t.Fatalf("New(%q): %v", fc, err)
	}
	return s
}

func TestNewChoosesStrategy(t *testing.T) {
	tests := []struct {
		fc        string
		multicast bool
		want      string
		rrwm      int
		timeout   int64
		minSize   int
		tag       int64
	}{
		{"", false, "unicast", 16, 0, 0, 0},
		// A unicast channel ignores a well-formed fc, as Aeron's C driver does.
		{"min,rrwm:2", false, "unicast", 16, 0, 0, 0},
		{"", true, "max", 4, 0, 0, 0},
		{"max", true, "max", 4, 0, 0, 0},
		{"max,rrwm:8", true, "max", 8, 0, 0, 0},
		{"min", true, "min", 4, 5e9, 0, 0},
		{"min,t:10s", true, "min", 4, 10e9, 0, 0},
		{"min,g:/3", true, "min", 4, 5e9, 3, 0},
		{"min,g:99/1", true, "min", 4, 5e9, 1, 0}, // min takes no tag
		{"tagged", true, "tagged", 4, 5e9, 0, -1},
		{"tagged,g:123", true, "tagged", 4, 5e9, 0, 123},
		{"tagged,g:123/2,t:5s,rrwm:1", true, "tagged", 1, 5e9, 2, 123},
	}
	for _, tt := range tests {
		s := mustNew(t, tt.fc, tt.multicast)
		switch s := s.(type) {
		case *maxStrategy:
			kind := "max"
			if !tt.multicast {
				kind = "unicast"
			}
			if kind != tt.want || s.retransmit.rrwm != tt.rrwm {
				t.Errorf("New(%q, multicast=%v) = %s rrwm %d, want %s rrwm %d", tt.fc, tt.multicast, kind, s.retransmit.rrwm, tt.want, tt.rrwm)
			}
		case *minStrategy:
			kind := "min"
			if s.tagged {
				kind = "tagged"
			}
			if kind != tt.want || s.retransmit.rrwm != tt.rrwm || s.timeoutNs != tt.timeout ||
				s.groupMinSize != tt.minSize || s.groupTag != tt.tag {
				t.Errorf("New(%q) = %s rrwm %d timeout %d min %d tag %d, want %s %d %d %d %d", tt.fc, kind,
					s.retransmit.rrwm, s.timeoutNs, s.groupMinSize, s.groupTag, tt.want, tt.rrwm, tt.timeout, tt.minSize, tt.tag)
			}
		}
	}
}

func TestNewOptions(t *testing.T) {
	// Zero options take Aeron's defaults, except the group tag, taken as given.
	s, err := New("tagged", Options{Multicast: true}, termLength)
	if err != nil {
		t.Fatal(err)
	}
	m := s.(*minStrategy)
	if m.timeoutNs != int64(5*time.Second) || m.groupTag != 0 || m.retransmit.window != 128*1024 {
		t.Errorf("zero options: %+v", m)
	}
	s, _ = New("min", Options{Multicast: true, ReceiverTimeout: time.Second, GroupMinSize: 2, RetransmitReceiverWindowMultiple: 3}, termLength)
	m = s.(*minStrategy)
	if m.timeoutNs != 1e9 || m.groupMinSize != 2 || m.retransmit.rrwm != 3 || m.HasRequiredReceivers() {
		t.Errorf("options not taken: %+v", m)
	}
	for _, o := range []Options{{ReceiverTimeout: -1}, {GroupMinSize: -1}, {InitialReceiverWindow: -1}, {RetransmitReceiverWindowMultiple: -1}} {
		if _, err := New("", o, termLength); !errors.Is(err, ErrInvalid) {
			t.Errorf("New with %+v: %v", o, err)
		}
	}
	if _, err := New("", DefaultOptions(), 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("term length 0: %v", err)
	}
	if _, err := New("min,t:abc", DefaultOptions(), termLength); err == nil ||
		err.Error() != `fc=min,t:abc: bad timeout "abc": want a whole number with an optional unit ns, us, ms or s: invalid flow control` {
		t.Errorf("unicast with bad fc: %v", err)
	}
}

func TestMaxStrategy(t *testing.T) {
	for _, multicast := range []bool{false, true} {
		s := mustNew(t, "", multicast)
		sm := smAt(1, 2, 100, 5000)
		// position = 2 << 16 + 100 = 131172; right edge 136172.
		if got := s.OnStatusMessage(&sm, 0, 0, bits, 1); got != 136172 {
			t.Errorf("limit %d, want 136172", got)
		}
		// Never backwards.
		if got := s.OnStatusMessage(&sm, 200000, 0, bits, 1); got != 200000 {
			t.Errorf("limit %d, want 200000", got)
		}
		// Term ids wrap: one term after MaxInt32 is MinInt32.
		sm = smAt(1, math.MinInt32, 10, 20)
		if got := s.OnStatusMessage(&sm, 0, math.MaxInt32, bits, 1); got != 1<<16+30 {
			t.Errorf("wrapped limit %d, want %d", got, 1<<16+30)
		}
		if got := s.OnIdle(1e12, 77, 0, true); got != 77 {
			t.Errorf("idle %d", got)
		}
		if got := s.OnSetup(88, 0, 1); got != 88 {
			t.Errorf("setup %d", got)
		}
		s.OnTriggerSendSetup(&sm, 1)
		s.OnError(&protocol.ErrorFrame{ReceiverID: 1}, 1)
		if !s.HasRequiredReceivers() || s.ReceiverCount() != 0 {
			t.Errorf("max tracks nothing")
		}
	}
}

// step is one event in a min/tagged scenario and the limit it must return.
type step struct {
	what  string
	now   int64
	sm    protocol.StatusMessage
	err   protocol.ErrorFrame
	limit int64 // sender limit passed in
	want  int64
	count int
	ready bool
}

const (
	onSM = iota
	onIdle
	onTrigger
	onSetup
	onError
)

func run(t *testing.T, s Strategy, kind []int, steps []step) {
	t.Helper()
	for i, st := range steps {
		var got int64
		switch kind[i] {
		case onSM:
			got = s.OnStatusMessage(&st.sm, st.limit, 0, bits, st.now)
		case onIdle:
			got = s.OnIdle(st.now, st.limit, 0, false)
		case onTrigger:
			s.OnTriggerSendSetup(&st.sm, st.now)
			got = st.want
		case onSetup:
			got = s.OnSetup(st.limit, 0, st.now)
		case onError:
			s.OnError(&st.err, st.now)
			got = st.want
		}
		if got != st.want || s.ReceiverCount() != st.count || s.HasRequiredReceivers() != st.ready {
			t.Fatalf("step %d (%s): limit %d receivers %d ready %v, want %d %d %v", i, st.what,
				got, s.ReceiverCount(), s.HasRequiredReceivers(), st.want, st.count, st.ready)
		}
	}
}

func TestMinStrategy(t *testing.T) {
	const timeout = 5e9
	s := mustNew(t, "min", true)
	run(t, s,
		[]int{onSM, onSM, onSM, onSM, onIdle, onSM, onIdle, onIdle, onIdle},
		[]step{
			{what: "first receiver", now: 1, sm: smAt(1, 0, 0, 1000), want: 1000, count: 1, ready: true},
			{what: "second, ahead", now: 2, sm: smAt(2, 0, 500, 1000), limit: 1000, want: 1000, count: 2, ready: true},
			{what: "first moves on, second now slowest", now: 3, sm: smAt(1, 0, 2000, 1000), limit: 1000, want: 1500, count: 2, ready: true},
			{what: "newcomer more than a window behind is refused", now: 3, sm: smAt(3, 0, 0, 100), limit: 1500, want: 1500, count: 2, ready: true},
			{what: "idle gives the minimum, even below the limit", now: 4, limit: 9999, want: 1500, count: 2, ready: true},
			{what: "second ends its stream", now: 5, sm: eos(smAt(2, 0, 1500, 1000)), limit: 1500, want: 2500, count: 2, ready: true},
			{what: "idle drops it", now: 6, limit: 2500, want: 3000, count: 1, ready: true},
			{what: "first still within timeout", now: 3 + timeout, limit: 3000, want: 3000, count: 1, ready: true},
			{what: "first times out", now: 4 + timeout, limit: 3000, want: 3000, count: 0, ready: true},
		})
	// With no receivers left, an SM sets the pace again.
	sm := smAt(9, 0, 100, 100)
	if got := s.OnStatusMessage(&sm, 0, 0, bits, 10e9); got != 200 || s.ReceiverCount() != 1 {
		t.Errorf("rejoin: %d, %d receivers", got, s.ReceiverCount())
	}
	// An EOS SM from an unknown receiver does not add it.
	sm = eos(smAt(10, 0, 100, 100))
	s.OnStatusMessage(&sm, 0, 0, bits, 10e9)
	if s.ReceiverCount() != 1 {
		t.Errorf("EOS newcomer added")
	}
}

func TestMinGroupSize(t *testing.T) {
	s := mustNew(t, "min,g:/2,t:1ms", true)
	if s.HasRequiredReceivers() {
		t.Fatal("ready with no receivers")
	}
	run(t, s,
		[]int{onSM, onIdle, onSM, onIdle, onError, onError, onIdle, onSM, onIdle},
		[]step{
			{what: "one of two: limit held", now: 1, sm: smAt(1, 0, 0, 1000), limit: 64, want: 64, count: 1},
			{what: "idle holds it too", now: 2, limit: 64, want: 64, count: 1},
			{what: "two of two", now: 3, sm: smAt(2, 0, 500, 1000), limit: 64, want: 1000, count: 2, ready: true},
			{what: "idle: the minimum", now: 4, limit: 1000, want: 1000, count: 2, ready: true},
			{what: "ERR from a stranger", now: 5, err: protocol.ErrorFrame{ReceiverID: 7}, count: 2, ready: true},
			{what: "ERR from the second", now: 5, err: protocol.ErrorFrame{ReceiverID: 2}, count: 2, ready: true},
			{what: "idle drops it: back under the minimum", now: 6, limit: 1000, want: 1000, count: 1},
			{what: "rejoin", now: 7, sm: smAt(2, 0, 600, 1000), limit: 1000, want: 1000, count: 2, ready: true},
			{what: "both time out (1 ms)", now: 1e6 + 8, limit: 1000, want: 1000, count: 0},
		})
}

func TestTaggedStrategy(t *testing.T) {
	s := mustNew(t, "tagged,g:7", true)
	run(t, s,
		[]int{onSM, onSM, onSM, onSM, onSM, onError, onError, onIdle},
		[]step{
			{what: "untagged SM with no receivers still moves the limit", now: 1, sm: smAt(1, 0, 0, 1000), want: 1000, ready: true},
			{what: "wrong tag is not tracked", now: 2, sm: tagged(smAt(2, 0, 0, 2000), 8), limit: 1000, want: 2000, ready: true},
			{what: "right tag is", now: 3, sm: tagged(smAt(3, 0, 0, 3000), 7), limit: 0, want: 3000, count: 1, ready: true},
			{what: "others no longer move it", now: 4, sm: tagged(smAt(2, 0, 0, 9000), 8), limit: 0, want: 3000, count: 1, ready: true},
			{what: "same id, wrong tag, does not update", now: 5, sm: tagged(smAt(3, 0, 0, 9000), 8), limit: 0, want: 3000, count: 1, ready: true},
			{what: "ERR without the tag is ignored", now: 6, err: protocol.ErrorFrame{ReceiverID: 3}, count: 1, ready: true},
			{what: "ERR with the tag counts", now: 6, err: protocol.ErrorFrame{ReceiverID: 3, GroupTag: 7, Flags: protocol.ErrFlagHasGroupTag}, count: 1, ready: true},
			{what: "idle drops it", now: 7, limit: 3000, want: 3000, count: 0, ready: true},
		})
	// The driver-wide tag applies when the URI gives none.
	o := DefaultOptions()
	o.Multicast = true
	o.GroupTag = 42
	s, _ = New("tagged,g:/1", o, termLength)
	sm := tagged(smAt(1, 0, 0, 100), 42)
	if s.OnStatusMessage(&sm, 0, 0, bits, 1); s.ReceiverCount() != 1 || !s.HasRequiredReceivers() {
		t.Errorf("driver-wide tag not used")
	}
}

func TestSetupHoldsLimit(t *testing.T) {
	s := mustNew(t, "min,t:1s", true)
	trigger := smAt(2, 0, 0, 0)
	trigger.Flags = protocol.SMFlagSendSetup
	run(t, s,
		[]int{onSM, onSetup, onSM, onTrigger, onSetup, onSM, onIdle, onSM, onSM},
		[]step{
			{what: "first receiver", now: 1, sm: smAt(1, 0, 0, 1000), want: 1000, count: 1, ready: true},
			{what: "untriggered SETUP holds nothing", now: 2, limit: 1000, want: 1000, count: 1, ready: true},
			{what: "limit moves", now: 3, sm: smAt(1, 0, 1000, 1000), limit: 1000, want: 2000, count: 1, ready: true},
			{what: "SM asks for SETUP", now: 4, sm: trigger, count: 1, ready: true},
			{what: "SETUP sent at 2000", now: 5, limit: 2000, want: 2000, count: 1, ready: true},
			{what: "first receiver cannot pull past it", now: 6, sm: smAt(1, 0, 4000, 1000), limit: 2000, want: 2000, count: 1, ready: true},
			{what: "nor can idle", now: 7, limit: 2000, want: 2000, count: 1, ready: true},
			{what: "newcomer joins and lifts the hold", now: 8, sm: smAt(2, 0, 1500, 1000), limit: 2000, want: 2000, count: 2, ready: true},
			{what: "now the minimum rules", now: 9, sm: smAt(2, 0, 3000, 1000), limit: 2000, want: 4000, count: 2, ready: true},
		})

	// With no newcomer, the hold lapses after the receiver timeout.
	s = mustNew(t, "min,t:1s", true)
	run(t, s,
		[]int{onSM, onTrigger, onSetup, onSM, onSM},
		[]step{
			{what: "first receiver", now: 1, sm: smAt(1, 0, 0, 1000), want: 1000, count: 1, ready: true},
			{what: "SM asks for SETUP", now: 2, sm: trigger, count: 1, ready: true},
			{what: "SETUP sent at 1000", now: 3, limit: 1000, want: 1000, count: 1, ready: true},
			{what: "held at the timeout", now: 3 + 1e9, sm: smAt(1, 0, 3000, 1000), limit: 1000, want: 1000, count: 1, ready: true},
			{what: "released after it", now: 4 + 1e9, sm: smAt(1, 0, 3000, 1000), limit: 1000, want: 4000, count: 1, ready: true},
		})

	// A tagged strategy heeds only triggers with its tag.
	s = mustNew(t, "tagged,g:5", true)
	first := tagged(smAt(1, 0, 0, 1000), 5)
	s.OnStatusMessage(&first, 0, 0, bits, 1)
	s.OnTriggerSendSetup(&trigger, 2)
	s.OnSetup(1000, 0, 3)
	next := tagged(smAt(1, 0, 2000, 1000), 5)
	if got := s.OnStatusMessage(&next, 1000, 0, bits, 4); got != 3000 {
		t.Errorf("untagged trigger held the limit: %d", got)
	}
}

func TestMaxRetransmissionLength(t *testing.T) {
	tests := []struct {
		fc                   string
		multicast            bool
		initialWindow        int
		offset, length, term int
		want                 int
	}{
		// Unicast: min(128K, 32K) × 16 = 512K, beyond the term end.
		{"", false, 0, 1024, 100000, 1 << 16, 64512},
		{"", false, 0, 1024, 4096, 1 << 16, 4096},
		// Multicast: min(128K, 8M) × 4 = 512K.
		{"", true, 0, 0, 1 << 20, 16 << 20, 524288},
		{"", true, 0, 0, 1000, 16 << 20, 1000},
		{"", true, 0, 16<<20 - 100, 1 << 20, 16 << 20, 100},
		{"max,rrwm:8", true, 0, 0, 2 << 20, 16 << 20, 1 << 20},
		{"min,rrwm:2", true, 0, 0, 2 << 20, 16 << 20, 256 << 10},
		{"tagged", true, 0, 0, 2 << 20, 16 << 20, 512 << 10},
		{"", true, 64 << 10, 0, 2 << 20, 16 << 20, 256 << 10},
		// A product beyond 32 bits does not wrap.
		{"max,rrwm:2147483647", true, 1 << 30, 0, 1 << 30, 1 << 30, 1 << 30},
	}
	for _, tt := range tests {
		o := DefaultOptions()
		o.Multicast = tt.multicast
		o.InitialReceiverWindow = tt.initialWindow
		s, err := New(tt.fc, o, tt.term)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.MaxRetransmissionLength(tt.offset, tt.length, tt.term, 1408); got != tt.want {
			t.Errorf("%q multicast=%v window %d: MaxRetransmissionLength(%d, %d, %d) = %d, want %d",
				tt.fc, tt.multicast, tt.initialWindow, tt.offset, tt.length, tt.term, got, tt.want)
		}
	}
}

// TestHotPathAllocatesNothing covers what the sender calls per SM and per
// duty cycle, once the receivers are known.
func TestHotPathAllocatesNothing(t *testing.T) {
	for _, fc := range []string{"", "max", "min", "tagged,g:1/2"} {
		s := mustNew(t, fc, fc != "")
		sms := make([]protocol.StatusMessage, 4)
		for i := range sms {
			sms[i] = tagged(smAt(int64(i+1), 0, int32(i*100), 4096), 1)
			s.OnStatusMessage(&sms[i], 0, 0, bits, 1)
		}
		now := int64(2)
		var sink int64
		allocs := testing.AllocsPerRun(1000, func() {
			now++
			for i := range sms {
				sms[i].ConsumptionTermOffset += 32
				sink += s.OnStatusMessage(&sms[i], 0, 0, bits, now)
			}
			sink += s.OnIdle(now, 0, 0, false)
			sink += int64(s.MaxRetransmissionLength(0, 4096, termLength, 1408))
			sink += int64(s.ReceiverCount())
		})
		if allocs != 0 {
			t.Errorf("fc=%q: %v allocations per run", fc, allocs)
		}
		_ = sink
	}
}

func BenchmarkMinOnStatusMessage(b *testing.B) {
	s := mustNew(b, "min", true)
	sms := make([]protocol.StatusMessage, 8)
	for i := range sms {
		sms[i] = smAt(int64(i+1), 0, 0, 4096)
		s.OnStatusMessage(&sms[i], 0, 0, bits, 1)
	}
	b.ReportAllocs()
	var lim int64
	for i := 0; b.Loop(); i++ {
		sm := &sms[i&7]
		sm.ConsumptionTermOffset = int32(i) & (termLength - 1)
		lim = s.OnStatusMessage(sm, lim, 0, bits, int64(i))
	}
}

func BenchmarkMinOnIdle(b *testing.B) {
	s := mustNew(b, "min", true)
	for i := range 8 {
		sm := smAt(int64(i+1), 0, 0, 4096)
		s.OnStatusMessage(&sm, 0, 0, bits, 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.OnIdle(2, 0, 0, false)
	}
}

func BenchmarkMaxOnStatusMessage(b *testing.B) {
	s := mustNew(b, "max", true)
	sm := smAt(1, 0, 0, 4096)
	b.ReportAllocs()
	var lim int64
	for b.Loop() {
		lim = s.OnStatusMessage(&sm, lim, 0, bits, 1)
	}
}
