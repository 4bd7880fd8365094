package broadcast

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func pair(t testing.TB, capacity int) (*Transmitter, *CopyReceiver) {
	buf := shm.NewAtomicBuffer(make([]byte, capacity+TrailerLength))
	tx, err := NewTransmitter(buf)
	if err != nil {
		t.Fatal(err)
	}
	rx, err := NewReceiver(buf)
	if err != nil {
		t.Fatal(err)
	}
	return tx, NewCopyReceiver(rx)
}

func TestTransmitReceiveAcrossWrap(t *testing.T) {
	tx, rx := pair(t, 1024)
	want := uint32(0)
	for i := uint32(0); i < 2000; i++ {
		msg := make([]byte, 4+int(i%50))
		binary.LittleEndian.PutUint32(msg, i)
		if err := tx.Transmit(int32(1+i%3), msg); err != nil {
			t.Fatal(err)
		}
		n, err := rx.Receive(func(typ int32, b []byte) {
			if got := binary.LittleEndian.Uint32(b); got != want || typ != int32(1+want%3) || len(b) != 4+int(want%50) {
				t.Fatalf("record %d type %d len %d, want %d", got, typ, len(b), want)
			}
			want++
		})
		if err != nil || n != 1 {
			t.Fatalf("receive %d: %d %v", i, n, err)
		}
	}
}

func TestLapped(t *testing.T) {
	tx, rx := pair(t, 1024)
	msg := make([]byte, 56)
	for i := 0; i < 100; i++ {
		if err := tx.Transmit(1, msg); err != nil {
			t.Fatal(err)
		}
	}
	_, err := rx.Receive(func(int32, []byte) {})
	if !errors.Is(err, ErrLapped) {
		t.Fatalf("lapping not reported: %v", err)
	}
	// A lap is reported once.
	if n, err := rx.Receive(func(int32, []byte) {}); n != 0 || err != nil {
		t.Fatalf("after the lap report: %d %v", n, err)
	}
	// After a lap the receiver continues with new records.
	if err := tx.Transmit(2, []byte("fresh")); err != nil {
		t.Fatal(err)
	}
	n, err := rx.Receive(func(typ int32, b []byte) {
		if typ != 2 || string(b) != "fresh" {
			t.Fatalf("got %d %q", typ, b)
		}
	})
	if err != nil || n != 1 {
		t.Fatalf("after lap: %d %v", n, err)
	}
}

func TestNoAllocations(t *testing.T) {
	tx, rx := pair(t, 64*1024)
	msg := make([]byte, 32)
	h := func(int32, []byte) {}
	if a := testing.AllocsPerRun(1000, func() {
		_ = tx.Transmit(1, msg)
		_, _ = rx.Receive(h)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func BenchmarkTransmitReceive(b *testing.B) {
	tx, rx := pair(b, 1<<20)
	msg := make([]byte, 32)
	h := func(int32, []byte) {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = tx.Transmit(1, msg)
		_, _ = rx.Receive(h)
	}
}

// FuzzCopyReceiver reads arbitrary buffer contents, as a client would read
// a damaged to-clients buffer: it must never panic, and each Receive call
// returns.
func FuzzCopyReceiver(f *testing.F) {
	const capacity = 1024
	seed := make([]byte, capacity+TrailerLength)
	tx, err := NewTransmitter(shm.NewAtomicBuffer(seed))
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		_ = tx.Transmit(int32(1+i%4), make([]byte, 8*i%60))
	}
	f.Add(append([]byte(nil), seed...))
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		buf := make([]byte, capacity+TrailerLength)
		copy(buf, data)
		// Let the trailer come from the input's tail too.
		if len(data) > TrailerLength {
			copy(buf[capacity:], data[len(data)-TrailerLength:])
		}
		rx, err := NewReceiver(shm.NewAtomicBuffer(buf))
		if err != nil {
			t.Fatal(err)
		}
		c := NewCopyReceiver(rx)
		for i := 0; i < 64; i++ {
			n, err := c.Receive(func(typ int32, b []byte) {
				if len(b) > capacity {
					t.Fatalf("record of %d bytes from a %d-byte buffer", len(b), capacity)
				}
			})
			if n == 0 && err == nil {
				return
			}
		}
	})
}

func TestOverwrittenWhileCopyingResyncs(t *testing.T) {
	buf := shm.NewAtomicBuffer(make([]byte, 1024+TrailerLength))
	tx, _ := NewTransmitter(buf)
	rx, _ := NewReceiver(buf)
	if err := tx.Transmit(1, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if !rx.ReceiveNext() || rx.TypeID() != 1 {
		t.Fatal("no first record")
	}
	// The transmitter laps the record before the receiver validates it.
	for i := 0; i < 40; i++ {
		_ = tx.Transmit(2, make([]byte, 56))
	}
	if rx.Validate() || rx.LappedCount() != 1 {
		t.Fatalf("overwrite not seen: lapped %d", rx.LappedCount())
	}
	if err := tx.Transmit(3, []byte("latest")); err != nil {
		t.Fatal(err)
	}
	// The receiver restarts from the latest record, not from the length of
	// the one it lost, and counts no second lap.
	if !rx.ReceiveNext() || rx.TypeID() != 3 || rx.LappedCount() != 1 {
		t.Fatalf("type %d lapped %d", rx.TypeID(), rx.LappedCount())
	}
	if !rx.Validate() {
		t.Fatal("latest record invalid")
	}
}
