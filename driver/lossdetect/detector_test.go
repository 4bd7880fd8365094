package lossdetect

import (
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

const (
	termLength    = 64 * 1024
	initialTermID = 7
)

var bits = logbuffer.PositionBitsToShift(termLength)

type nak struct{ termID, termOffset, length int32 }

type recorder struct{ naks []nak }

func (r *recorder) OnGapDetected(termID, termOffset, length int32) {
	r.naks = append(r.naks, nak{termID, termOffset, length})
}

// writeFrame inserts a DATA frame of length bytes at offset, as the
// receiver does with a datagram.
func writeFrame(t testing.TB, term shm.AtomicBuffer, termID int32, offset, length int) {
	t.Helper()
	packet := shm.NewAtomicBuffer(make([]byte, length))
	packet.PutInt32(0, int32(length))
	packet.PutUint8(5, logbuffer.FlagsUnfragmented)
	packet.PutInt16(6, logbuffer.HdrTypeData)
	packet.PutInt32(8, int32(offset))
	packet.PutInt32(20, termID)
	logbuffer.Insert(term, offset, packet.Bytes())
	if logbuffer.FrameLengthVolatile(term, offset) != int32(length) {
		t.Fatalf("frame at %d not written", offset)
	}
}

func newTerms() [2]shm.AtomicBuffer {
	return [2]shm.AtomicBuffer{
		shm.NewAtomicBuffer(make([]byte, termLength)),
		shm.NewAtomicBuffer(make([]byte, termLength)),
	}
}

func pos(termCount int32, offset int) int64 {
	return logbuffer.ComputePosition(initialTermID+termCount, int32(offset), bits, initialTermID)
}

// step is one Scan of a scenario, after writing frames (term index,
// offset, length) into the terms.
type step struct {
	write      [][3]int
	rebuild    int64
	hwm        int64
	now        int64
	termIndex  int
	wantOffset int
	wantLoss   bool
	wantNaks   []nak
}

func TestScan(t *testing.T) {
	const delay, retry = 1000, 100_000
	t0 := int32(initialTermID)
	tests := []struct {
		name  string
		gen   DelayGenerator
		steps []step
	}{
		{
			name: "contiguous data, no loss",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{0, 0, 64}, {0, 64, 96}, {0, 160, 64}}, rebuild: pos(0, 0), hwm: pos(0, 224), wantOffset: 224},
				{rebuild: pos(0, 224), hwm: pos(0, 224), now: 5000, wantOffset: 224},
			},
		},
		{
			name: "gap found, NAK after delay, retry after retry delay",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{0, 0, 64}, {0, 128, 64}}, rebuild: pos(0, 0), hwm: pos(0, 192), now: 0, wantOffset: 64, wantLoss: true},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay - 1, wantOffset: 64},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay, wantOffset: 64, wantNaks: []nak{{t0, 64, 64}}},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay + 1, wantOffset: 64},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay + retry - 1, wantOffset: 64},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay + retry, wantOffset: 64, wantNaks: []nak{{t0, 64, 64}}},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: delay + 2*retry, wantOffset: 64, wantNaks: []nak{{t0, 64, 64}}},
			},
		},
		{
			name: "gap filled before its timer, no NAK",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{0, 0, 64}, {0, 128, 64}}, rebuild: pos(0, 0), hwm: pos(0, 192), now: 0, wantOffset: 64, wantLoss: true},
				{write: [][3]int{{0, 64, 64}}, rebuild: pos(0, 64), hwm: pos(0, 192), now: 500, wantOffset: 192},
				{rebuild: pos(0, 192), hwm: pos(0, 192), now: 2 * retry, wantOffset: 192},
			},
		},
		{
			name: "gap grows with the hwm, timer restarts",
			gen:  NewStatic(delay, retry),
			steps: []step{
				// Nothing beyond the hwm is known: the gap ends there.
				{write: [][3]int{{0, 0, 64}}, rebuild: pos(0, 0), hwm: pos(0, 128), now: 0, wantOffset: 64, wantLoss: true},
				{write: [][3]int{{0, 192, 64}}, rebuild: pos(0, 64), hwm: pos(0, 256), now: 600, wantOffset: 64, wantLoss: true},
				{rebuild: pos(0, 64), hwm: pos(0, 256), now: delay, wantOffset: 64},
				{rebuild: pos(0, 64), hwm: pos(0, 256), now: 600 + delay, wantOffset: 64, wantNaks: []nak{{t0, 64, 128}}},
			},
		},
		{
			name: "gap partly filled, timer restarts for the rest",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{0, 0, 64}, {0, 256, 64}}, rebuild: pos(0, 0), hwm: pos(0, 320), now: 0, wantOffset: 64, wantLoss: true},
				{rebuild: pos(0, 64), hwm: pos(0, 320), now: delay, wantOffset: 64, wantNaks: []nak{{t0, 64, 192}}},
				{write: [][3]int{{0, 64, 96}}, rebuild: pos(0, 64), hwm: pos(0, 320), now: delay + 10, wantOffset: 160, wantLoss: true},
				{rebuild: pos(0, 160), hwm: pos(0, 320), now: 2*delay + 9, wantOffset: 160},
				{rebuild: pos(0, 160), hwm: pos(0, 320), now: 2*delay + 10, wantOffset: 160, wantNaks: []nak{{t0, 160, 96}}},
			},
		},
		{
			name: "hwm in the next term scans to the term end",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{0, termLength - 192, 64}, {1, 0, 64}}, rebuild: pos(0, termLength-192), hwm: pos(1, 64), now: 0,
					wantOffset: termLength - 128, wantLoss: true},
				{rebuild: pos(0, termLength-128), hwm: pos(1, 64), now: delay, wantOffset: termLength - 128,
					wantNaks: []nak{{t0, termLength - 128, 128}}},
				// Completing the term gives an offset of the term's length:
				// the image moves on to the next term.
				{write: [][3]int{{0, termLength - 128, 128}}, rebuild: pos(0, termLength-128), hwm: pos(1, 64), now: delay + 1,
					wantOffset: termLength},
			},
		},
		{
			name: "gap in a later term carries its term id",
			gen:  NewStatic(delay, retry),
			steps: []step{
				{write: [][3]int{{1, 0, 64}, {1, 256, 64}}, rebuild: pos(1, 0), hwm: pos(1, 320), now: 0, termIndex: 1,
					wantOffset: 64, wantLoss: true},
				{rebuild: pos(1, 64), hwm: pos(1, 320), now: delay, termIndex: 1, wantOffset: 64,
					wantNaks: []nak{{t0 + 1, 64, 192}}},
			},
		},
		{
			name: "zero delay NAKs at once (unreliable images fill instead)",
			gen:  NewStatic(0, 0),
			steps: []step{
				{write: [][3]int{{0, 0, 64}, {0, 128, 64}}, rebuild: pos(0, 0), hwm: pos(0, 192), now: 0, wantOffset: 64, wantLoss: true,
					wantNaks: []nak{{t0, 64, 64}}},
				{rebuild: pos(0, 64), hwm: pos(0, 192), now: 0, wantOffset: 64, wantNaks: []nak{{t0, 64, 64}}},
			},
		},
		{
			name: "rebuild at hwm scans nothing",
			gen:  NewStatic(0, 0),
			steps: []step{
				{rebuild: pos(0, 128), hwm: pos(0, 128), now: 0, wantOffset: 128},
				{rebuild: pos(1, 0), hwm: pos(0, 128), now: 0, wantOffset: 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms := newTerms()
			rec := &recorder{}
			d := New(tt.gen, rec)
			for i, s := range tt.steps {
				for _, w := range s.write {
					writeFrame(t, terms[w[0]], initialTermID+int32(w[0]), w[1], w[2])
				}
				rec.naks = rec.naks[:0]
				offset, loss := d.Scan(terms[s.termIndex], s.rebuild, s.hwm, s.now, termLength-1, bits, initialTermID)
				if offset != s.wantOffset || loss != s.wantLoss {
					t.Errorf("step %d: Scan = (%d, %v), want (%d, %v)", i, offset, loss, s.wantOffset, s.wantLoss)
				}
				if !equalNaks(rec.naks, s.wantNaks) {
					t.Errorf("step %d: NAKs %v, want %v", i, rec.naks, s.wantNaks)
				}
			}
		})
	}
}

func equalNaks(a, b []nak) bool {
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

// A term whose frame length would run past its end stops the scan short
// of the limit without a gap to describe: no NAK, no loss.
func TestScanCorruptFrameReportsNothing(t *testing.T) {
	terms := newTerms()
	terms[0].PutInt32Ordered(termLength-64, 4096)
	rec := &recorder{}
	d := New(NewStatic(0, 0), rec)
	offset, loss := d.Scan(terms[0], pos(0, termLength-64), pos(1, 0), 0, termLength-1, bits, initialTermID)
	if offset != termLength-64 || loss || len(rec.naks) != 0 {
		t.Fatalf("Scan = (%d, %v), NAKs %v; want (%d, false), none", offset, loss, rec.naks, termLength-64)
	}
}

// Term ids wrap past MaxInt32 as Aeron's do.
func TestScanTermIDWraps(t *testing.T) {
	initial := int32(2147483647)
	next := initial + 1 // wraps at run time
	terms := newTerms()
	writeFrame(t, terms[1], next, 128, 64)
	rec := &recorder{}
	d := New(NewStatic(0, 0), rec)
	rebuild := logbuffer.ComputePosition(next, 0, bits, initial)
	hwm := logbuffer.ComputePosition(next, 192, bits, initial)
	if _, loss := d.Scan(terms[1], rebuild, hwm, 0, termLength-1, bits, initial); !loss {
		t.Fatal("no loss found")
	}
	if want := (nak{-2147483648, 0, 128}); len(rec.naks) != 1 || rec.naks[0] != want {
		t.Fatalf("NAKs %v, want [%v]", rec.naks, want)
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) OnGapDetected(int32, int32, int32) { h.n++ }

func TestScanDoesNotAllocate(t *testing.T) {
	terms := newTerms()
	writeFrame(t, terms[0], initialTermID, 0, 64)
	writeFrame(t, terms[0], initialTermID, 1024, 64)
	h := &nopHandler{}
	for _, gen := range []DelayGenerator{NewStatic(0, 0), NewOptimalMulticast(1000, 10, nil)} {
		d := New(gen, h)
		now := int64(0)
		allocs := testing.AllocsPerRun(1000, func() {
			now += 2000
			d.Scan(terms[0], 0, pos(0, 2048), now, termLength-1, bits, initialTermID)
		})
		if allocs != 0 {
			t.Errorf("%T: Scan allocates %.1f times per call", gen, allocs)
		}
	}
	if h.n == 0 {
		t.Fatal("no NAKs were triggered")
	}
}

func BenchmarkScanGap(b *testing.B) {
	terms := newTerms()
	for off := 0; off < 32*1024; off += 1024 {
		writeFrame(b, terms[0], initialTermID, off, 1024)
	}
	writeFrame(b, terms[0], initialTermID, 48*1024, 1024)
	d := New(NewStatic(1000, 100_000), &nopHandler{})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.Scan(terms[0], 0, pos(0, 49*1024), int64(i), termLength-1, bits, initialTermID)
	}
}
