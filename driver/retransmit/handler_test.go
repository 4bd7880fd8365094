package retransmit

import (
	"testing"
)

const (
	termLength = 64 * 1024
	noCap      = 1 << 30
	linger     = 10_000_000
)

type resend struct{ termID, termOffset, length int32 }

type recorder struct{ got []resend }

func (r *recorder) Resend(termID, termOffset, length int32) {
	r.got = append(r.got, resend{termID, termOffset, length})
}

func (r *recorder) take() []resend {
	got := r.got
	r.got = nil
	return got
}

type overflows struct{ n int }

func (o *overflows) RetransmitOverflow() { o.n++ }

func equal(a, b []resend) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// event is a NAK (length != 0) or, with length 0, a ProcessTimeouts call.
type event struct {
	now        int64
	termID     int32
	termOffset int32
	length     int32
	maxRetrans int
	want       []resend
	wantActive int
}

func timeouts(now int64, wantActive int, want ...resend) event {
	return event{now: now, want: want, wantActive: wantActive}
}

func nak(now int64, termID, termOffset, length int32, wantActive int, want ...resend) event {
	return event{now: now, termID: termID, termOffset: termOffset, length: length, maxRetrans: noCap,
		want: want, wantActive: wantActive}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name          string
		opts          Options
		events        []event
		wantOverflows int
	}{
		{
			name: "immediate resend, then lingers and frees",
			opts: Options{LingerNs: linger},
			events: []event{
				nak(0, 5, 1024, 512, 1, resend{5, 1024, 512}),
				timeouts(linger, 1),
				timeouts(linger+1, 0),
			},
		},
		{
			name: "NAKs inside a lingering resend are ignored",
			opts: Options{LingerNs: linger},
			events: []event{
				nak(0, 5, 1024, 512, 1, resend{5, 1024, 512}),
				nak(100, 5, 1024, 512, 1),
				nak(200, 5, 1024+256, 64, 1),
				nak(300, 5, 1024+511, 1, 1),
				timeouts(linger+1, 0),
				nak(linger+2, 5, 1024, 512, 1, resend{5, 1024, 512}),
			},
		},
		{
			name: "NAKs outside the range or in another term are not ignored",
			opts: Options{LingerNs: linger, Group: true, MaxResend: 4},
			events: []event{
				nak(0, 5, 1024, 512, 1, resend{5, 1024, 512}),
				nak(1, 5, 1024+512, 64, 2, resend{5, 1536, 64}),
				nak(2, 5, 992, 64, 3, resend{5, 992, 64}),
				nak(3, 6, 1024, 512, 4, resend{6, 1024, 512}),
			},
		},
		{
			name: "delayed resend runs once the delay has passed",
			opts: Options{DelayNs: 1000, LingerNs: linger},
			events: []event{
				nak(0, 5, 0, 4096, 1),
				nak(10, 5, 2048, 64, 1), // covered while delayed too
				timeouts(1000, 1),
				timeouts(1001, 1, resend{5, 0, 4096}),
				timeouts(1002, 1),
				nak(2000, 5, 64, 64, 1),
				timeouts(1001+linger, 1),
				timeouts(1002+linger, 0),
			},
		},
		{
			name: "unicast reuses its single slot for a new range",
			opts: Options{LingerNs: linger},
			events: []event{
				nak(0, 5, 0, 1024, 1, resend{5, 0, 1024}),
				nak(10, 5, 4096, 1024, 1, resend{5, 4096, 1024}),
				// The first range is forgotten: NAKing it again resends.
				nak(20, 5, 0, 1024, 1, resend{5, 0, 1024}),
				// The new action lingers from its own resend.
				timeouts(20+linger, 1),
				timeouts(21+linger, 0),
			},
		},
		{
			name: "unicast delayed slot replaced before it fires",
			opts: Options{DelayNs: 1000, LingerNs: linger},
			events: []event{
				nak(0, 5, 0, 1024, 1),
				nak(500, 5, 8192, 64, 1),
				timeouts(1001, 1),
				timeouts(1501, 1, resend{5, 8192, 64}),
			},
		},
		{
			name: "group pool overflows and counts",
			opts: Options{LingerNs: linger, Group: true, MaxResend: 2},
			events: []event{
				nak(0, 5, 0, 64, 1, resend{5, 0, 64}),
				nak(1, 5, 1024, 64, 2, resend{5, 1024, 64}),
				nak(2, 5, 2048, 64, 2),
				nak(3, 5, 3072, 64, 2),
				nak(4, 5, 0, 64, 2), // covered: ignored, not an overflow
				timeouts(1+linger, 1),
				nak(2+linger, 5, 2048, 64, 2, resend{5, 2048, 64}),
			},
			wantOverflows: 2,
		},
		{
			name: "group delayed resends fire together",
			opts: Options{DelayNs: 100, LingerNs: linger, Group: true},
			events: []event{
				nak(0, 5, 0, 64, 1),
				nak(50, 5, 1024, 64, 2),
				timeouts(101, 2, resend{5, 0, 64}),
				timeouts(151, 2, resend{5, 1024, 64}),
				timeouts(101+linger, 2),
				timeouts(102+linger, 1),
				timeouts(152+linger, 0),
			},
		},
		{
			name: "length capped by max retransmit and term end",
			opts: Options{LingerNs: linger, Group: true},
			events: []event{
				{now: 0, termID: 5, termOffset: 0, length: 8192, maxRetrans: 2048, want: []resend{{5, 0, 2048}}, wantActive: 1},
				// The capped length is what later NAKs are matched against.
				nak(1, 5, 2048, 64, 2, resend{5, 2048, 64}),
				nak(2, 5, termLength-96, 4096, 3, resend{5, termLength - 96, 96}),
				{now: 3, termID: 5, termOffset: 8192, length: 64, maxRetrans: 0, wantActive: 3},
			},
		},
		{
			name: "NAKs naming no data are ignored",
			opts: Options{LingerNs: linger, Group: true},
			events: []event{
				nak(0, 5, 0, -64, 0),
				nak(0, 5, -32, 64, 0),
				nak(0, 5, termLength-31, 64, 0),
				nak(0, 5, termLength, 64, 0),
				nak(0, 5, termLength-32, 64, 1, resend{5, termLength - 32, 32}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ovf := &overflows{}
			h := New(tt.opts, ovf)
			rec := &recorder{}
			for i, e := range tt.events {
				if e.length == 0 {
					h.ProcessTimeouts(e.now, rec)
				} else {
					h.OnNak(e.termID, e.termOffset, e.length, termLength, e.maxRetrans, e.now, rec)
				}
				if got := rec.take(); !equal(got, e.want) {
					t.Errorf("event %d: resends %v, want %v", i, got, e.want)
				}
				if h.Active() != e.wantActive {
					t.Errorf("event %d: %d active, want %d", i, h.Active(), e.wantActive)
				}
			}
			if ovf.n != tt.wantOverflows {
				t.Errorf("%d overflows, want %d", ovf.n, tt.wantOverflows)
			}
		})
	}
}

func TestPoolSize(t *testing.T) {
	for _, tt := range []struct {
		opts Options
		want int
	}{
		{Options{}, 1},
		{Options{MaxResend: 16}, 1},
		{Options{Group: true}, DefaultMaxResend},
		{Options{Group: true, MaxResend: 3}, 3},
		{Options{Group: true, MaxResend: -1}, 1},
		{Options{Group: true, MaxResend: 1000}, MaxMaxResend},
	} {
		if got := len(New(tt.opts, nil).pool); got != tt.want {
			t.Errorf("%+v: %d slots, want %d", tt.opts, got, tt.want)
		}
	}
}

// A group handler without counters drops overflowing NAKs quietly.
func TestNilCounters(t *testing.T) {
	h := New(Options{Group: true, MaxResend: 1, LingerNs: linger}, nil)
	rec := &recorder{}
	h.OnNak(1, 0, 64, termLength, noCap, 0, rec)
	h.OnNak(1, 1024, 64, termLength, noCap, 0, rec)
	if len(rec.got) != 1 {
		t.Fatalf("resends %v, want one", rec.got)
	}
}

// Timers compare by difference, so they fire across a wrap of the clock.
func TestClockWrap(t *testing.T) {
	const maxInt64 = int64(^uint64(0) >> 1)
	h := New(Options{DelayNs: 100, LingerNs: 100}, nil)
	rec := &recorder{}
	start := maxInt64 - 50
	h.OnNak(1, 0, 64, termLength, noCap, start, rec)
	h.ProcessTimeouts(start+50, rec)
	if len(rec.got) != 0 {
		t.Fatal("resent early")
	}
	h.ProcessTimeouts(start+101, rec) // wraps
	if len(rec.got) != 1 {
		t.Fatalf("resends %v after the delay, want one", rec.got)
	}
}

type nopSender struct{ n int }

func (s *nopSender) Resend(int32, int32, int32) { s.n++ }

type nopCounters struct{}

func (nopCounters) RetransmitOverflow() {}

func TestHotPathDoesNotAllocate(t *testing.T) {
	s := &nopSender{}
	for _, opts := range []Options{
		{LingerNs: 100},
		{DelayNs: 10, LingerNs: 100, Group: true, MaxResend: 4},
	} {
		h := New(opts, nopCounters{})
		now := int64(0)
		off := int32(0)
		allocs := testing.AllocsPerRun(1000, func() {
			now += 7
			off = (off + 1024) % termLength
			h.OnNak(3, off, 1024, termLength, noCap, now, s)
			h.ProcessTimeouts(now, s)
		})
		if allocs != 0 {
			t.Errorf("%+v: %.1f allocations per NAK", opts, allocs)
		}
	}
	if s.n == 0 {
		t.Fatal("nothing was resent")
	}
}

func BenchmarkOnNakGroup(b *testing.B) {
	h := New(Options{LingerNs: 1000, Group: true}, nopCounters{})
	s := &nopSender{}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := int64(i) * 10
		h.OnNak(3, int32(i%64)*1024, 1024, termLength, noCap, now, s)
		h.ProcessTimeouts(now, s)
	}
}

func BenchmarkProcessTimeoutsFullPool(b *testing.B) {
	h := New(Options{DelayNs: 1 << 62, Group: true}, nopCounters{})
	s := &nopSender{}
	for i := range DefaultMaxResend {
		h.OnNak(3, int32(i)*1024, 1024, termLength, noCap, 0, s)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		h.ProcessTimeouts(int64(i), s)
	}
}
