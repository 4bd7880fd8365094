//go:build !race

// The copy receiver reads records while the transmitter may overwrite them
// and detects that afterwards (a seqlock); the race detector reports those
// reads by design, so this test runs without it.

package broadcast

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// TestConcurrentReceiverNeverSeesTornRecords runs a transmitter and a slow
// receiver on two goroutines: every record delivered must be intact (its
// payload repeats its sequence number), sequence numbers only increase, and
// losses are reported as laps.
func TestConcurrentReceiverNeverSeesTornRecords(t *testing.T) {
	tx, rx := pair(t, 4096)
	const records = 200_000
	done := make(chan struct{})
	go func() {
		defer close(done)
		msg := make([]byte, 64)
		for seq := uint64(1); seq <= records; seq++ {
			for i := 0; i < len(msg); i += 8 {
				binary.LittleEndian.PutUint64(msg[i:], seq)
			}
			if err := tx.Transmit(1, msg[:8+8*int(seq%7)]); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var last uint64
	delivered, laps := 0, 0
	deadline := time.Now().Add(20 * time.Second)
	finished := false
	for time.Now().Before(deadline) {
		n, err := rx.Receive(func(_ int32, b []byte) {
			seq := binary.LittleEndian.Uint64(b)
			for i := 8; i < len(b); i += 8 {
				if binary.LittleEndian.Uint64(b[i:]) != seq {
					t.Fatalf("torn record: %d then %d", seq, binary.LittleEndian.Uint64(b[i:]))
				}
			}
			if seq <= last {
				t.Fatalf("sequence went from %d to %d", last, seq)
			}
			last = seq
		})
		switch {
		case errors.Is(err, ErrLapped):
			laps++
		case err != nil:
			t.Fatal(err)
		case n == 0 && finished:
			// Only a lap may lose the last records.
			if delivered+laps == 0 || (laps == 0 && last != records) {
				t.Fatalf("delivered %d, last %d, laps %d", delivered, last, laps)
			}
			return
		case n == 0:
			select {
			case <-done:
				finished = true
			default:
			}
		default:
			delivered++
		}
	}
	t.Fatalf("not finished: delivered %d, last %d, laps %d", delivered, last, laps)
}
