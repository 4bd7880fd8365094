package logbuffer

import (
	"encoding/binary"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Several publishers append at once (as concurrent publications in many
// client threads do) while one subscriber reads and cleans behind itself;
// every publisher's messages arrive whole and in its own order.
func TestConcurrentAppenders(t *testing.T) {
	const (
		termLength = 64 * 1024
		publishers = 4
		perPub     = 1500
	)
	l := newLog(t, termLength, 1408)
	bits := PositionBitsToShift(termLength)
	var consumed atomic.Int64
	deadline := time.Now().Add(60 * time.Second)

	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			a := NewAppender(l)
			rng := rand.New(rand.NewSource(int64(p)))
			msg := make([]byte, 3000)
			for i := 0; i < perPub; i++ {
				size := 8 + rng.Intn(len(msg)-8)
				binary.LittleEndian.PutUint32(msg, uint32(p))
				binary.LittleEndian.PutUint32(msg[4:], uint32(i))
				for j := 8; j < size; j++ {
					msg[j] = byte(i + j)
				}
				for {
					if time.Now().After(deadline) {
						t.Errorf("publisher %d stuck at %d", p, i)
						return
					}
					// A publication limit half a term ahead of the
					// subscriber, as the driver sets it.
					if l.Metadata().ProducerPosition(termLength, bits)-consumed.Load() > termLength/2 {
						time.Sleep(10 * time.Microsecond)
						continue
					}
					if pos := a.Append(msg[:size], int64(p)); pos == AdminAction {
						continue
					} else if pos < 0 {
						t.Errorf("append %d", pos)
						return
					}
					break
				}
			}
		}(p)
	}

	next := make([]uint32, publishers)
	partial := make([][]byte, publishers)
	received := 0
	var h Header
	h.InitialTermID, h.BitsToShift = l.Metadata().InitialTermID(), bits
	var position, cleanPosition int64
	handler := func(buf shm.AtomicBuffer, off, length int, hdr *Header) {
		p := int(hdr.ReservedValue())
		if p < 0 || p >= publishers {
			t.Fatalf("reserved value %d", p)
		}
		if hdr.Flags()&FlagBegin != 0 {
			partial[p] = partial[p][:0]
		}
		partial[p] = append(partial[p], buf.Bytes()[off:off+length]...)
		if hdr.Flags()&FlagEnd == 0 {
			return
		}
		m := partial[p]
		if int(binary.LittleEndian.Uint32(m)) != p || binary.LittleEndian.Uint32(m[4:]) != next[p] {
			t.Fatalf("publisher %d: got message %d, want %d", p, binary.LittleEndian.Uint32(m[4:]), next[p])
		}
		for j := 8; j < len(m); j++ {
			if m[j] != byte(int(next[p])+j) {
				t.Fatalf("publisher %d message %d corrupt at %d", p, next[p], j)
			}
		}
		next[p]++
		received++
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := false
	for received < publishers*perPub && time.Now().Before(deadline) {
		offset := int(TermOffsetFromPosition(position, bits))
		_, nextOffset := Read(l.Term(IndexByPosition(position, bits)), offset, handler, 100, &h)
		position += int64(nextOffset - offset)
		consumed.Store(position)
		// Keep the partition the publishers rotate into zeroed.
		for cleanPosition < position-termLength {
			Clean(l, &cleanPosition, position-termLength)
		}
		if nextOffset == offset {
			if finished {
				// Publishers are done and nothing more is readable.
				break
			}
			select {
			case <-done:
				finished = true
			default:
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	wg.Wait()
	if received != publishers*perPub {
		t.Fatalf("received %d of %d", received, publishers*perPub)
	}
	if l.Metadata().ActiveTermCount() < 20 {
		t.Fatalf("only %d rotations", l.Metadata().ActiveTermCount())
	}
}

// Frames received out of order and duplicated rebuild the publisher's term
// exactly; the gap scanner always reports the first hole.
func TestRebuildOutOfOrder(t *testing.T) {
	const termLength = 64 * 1024
	src := newLog(t, termLength, 1408)
	a := NewAppender(src)
	rng := rand.New(rand.NewSource(3))
	for {
		pos := a.Append(make([]byte, rng.Intn(3000)), 0)
		if pos == AdminAction || pos > termLength-4096 {
			break
		}
	}
	term := src.Term(0)
	end := int(TermOffset(RawTailVolatile(src.Meta(), 0), termLength))
	type frame struct{ off, length int }
	var frames []frame
	for off := 0; off < end; {
		n := Align(int(FrameLengthVolatile(term, off)))
		frames = append(frames, frame{off, n})
		off += n
	}
	// Each frame arrives once or twice, in a shuffled order.
	order := append(append([]frame(nil), frames...), frames[:len(frames)/3]...)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	dst := shm.NewAtomicBuffer(make([]byte, termLength))
	have := map[int]bool{}
	for _, f := range order {
		Insert(dst, f.off, term.Bytes()[f.off:f.off+f.length])
		have[f.off] = true
		contiguous := 0
		for _, g := range frames {
			if !have[g.off] {
				break
			}
			contiguous = g.off + g.length
		}
		var gapOff, gapLen int
		got := ScanForGap(dst, 7, 0, end, func(_ int32, o, n int) { gapOff, gapLen = o, n })
		if got != contiguous {
			t.Fatalf("contiguous to %d, scanner says %d", contiguous, got)
		}
		if got < end {
			gapEnd := end
			for _, g := range frames {
				if g.off > got && have[g.off] {
					gapEnd = g.off
					break
				}
			}
			if gapOff != got || gapOff+gapLen != gapEnd {
				t.Fatalf("gap [%d,%d), want [%d,%d)", gapOff, gapOff+gapLen, got, gapEnd)
			}
		}
	}
	if string(dst.Bytes()[:end]) != string(term.Bytes()[:end]) {
		t.Fatal("rebuilt term differs")
	}
}
