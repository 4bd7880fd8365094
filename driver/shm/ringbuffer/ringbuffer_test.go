package ringbuffer

import (
	"encoding/binary"
	"runtime"
	"sync"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func newRing(t testing.TB, capacity int) (*ManyToOne, shm.AtomicBuffer) {
	t.Helper()
	buf := shm.NewAtomicBuffer(make([]byte, capacity+TrailerLength))
	r, err := New(buf)
	if err != nil {
		t.Fatal(err)
	}
	return r, buf
}

func TestRejectsBadCapacity(t *testing.T) {
	if _, err := New(shm.NewAtomicBuffer(make([]byte, 1000+TrailerLength))); err == nil {
		t.Fatal("non power of two accepted")
	}
}

func TestWriteReadWrap(t *testing.T) {
	r, _ := newRing(t, 1024)
	next := uint32(0)
	want := uint32(0)
	for round := 0; round < 500; round++ {
		for k := 0; k < 3; k++ {
			msg := make([]byte, 4+(round*7+k)%90)
			binary.LittleEndian.PutUint32(msg, next)
			if !r.Write(int32(1+k), msg) {
				break
			}
			next++
		}
		r.Read(func(typ int32, buf shm.AtomicBuffer, off, length int) {
			if got := uint32(buf.GetInt32(off)); got != want {
				t.Fatalf("record %d, want %d", got, want)
			}
			want++
		}, 100)
	}
	if want != next || want < 1000 {
		t.Fatalf("read %d of %d", want, next)
	}
}

func TestFull(t *testing.T) {
	r, _ := newRing(t, 1024)
	n := 0
	for r.Write(1, make([]byte, 56)) {
		n++
	}
	if n != 1024/64 {
		t.Fatalf("%d records fit, want 16", n)
	}
	if r.Write(1, make([]byte, 200)) {
		t.Fatal("oversized accepted")
	}
	if got := r.Read(func(int32, shm.AtomicBuffer, int, int) {}, 100); got != 16 {
		t.Fatalf("read %d", got)
	}
	if !r.Write(1, make([]byte, 56)) {
		t.Fatal("write refused")
	}
}

func TestConcurrentProducers(t *testing.T) {
	r, _ := newRing(t, 64*1024)
	const producers, each = 4, 5000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			msg := make([]byte, 8)
			for i := 0; i < each; {
				binary.LittleEndian.PutUint32(msg, uint32(p))
				binary.LittleEndian.PutUint32(msg[4:], uint32(i))
				if r.Write(7, msg) {
					i++
				}
			}
		}(p)
	}
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	total := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	finished := false
	for !finished || total < producers*each {
		select {
		case <-done:
			finished = true
		default:
		}
		total += r.Read(func(typ int32, buf shm.AtomicBuffer, off, length int) {
			p, i := int(buf.GetInt32(off)), int(buf.GetInt32(off+4))
			if typ != 7 || length != 8 || i != last[p]+1 {
				t.Errorf("producer %d record %d after %d", p, i, last[p])
			}
			last[p] = i
		}, 1000)
		if finished && total == producers*each {
			break
		}
	}
}

func TestUnblock(t *testing.T) {
	r, buf := newRing(t, 1024)
	// A producer claims space and dies before committing.
	idx := r.claim(64)
	buf.PutInt32Ordered(idx, -60)
	if !r.Write(2, []byte("after")) {
		t.Fatal("write refused")
	}
	if n := r.Read(func(int32, shm.AtomicBuffer, int, int) {}, 10); n != 0 {
		t.Fatalf("read past an uncommitted record: %d", n)
	}
	if !r.Unblock() {
		t.Fatal("not unblocked")
	}
	var got string
	r.Read(func(_ int32, b shm.AtomicBuffer, off, length int) { got = string(b.Bytes()[off : off+length]) }, 10)
	if got != "after" {
		t.Fatalf("got %q", got)
	}
}

func TestCorrelationAndHeartbeat(t *testing.T) {
	r, _ := newRing(t, 1024)
	if a, b := r.NextCorrelationID(), r.NextCorrelationID(); b != a+1 {
		t.Fatalf("%d %d", a, b)
	}
	r.SetConsumerHeartbeatTime(12345)
	if r.ConsumerHeartbeatTime() != 12345 {
		t.Fatal("heartbeat")
	}
}

func TestNoAllocations(t *testing.T) {
	r, _ := newRing(t, 64*1024)
	msg := make([]byte, 32)
	h := func(int32, shm.AtomicBuffer, int, int) {}
	if a := testing.AllocsPerRun(1000, func() {
		r.Write(1, msg)
		r.Read(h, 10)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte{16, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{3, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, buf := newRing(t, 256)
		copy(buf.Bytes(), data)
		// Bytes past the records become the head position, so the reader
		// also starts mid-buffer.
		if len(data) >= 256+8 {
			buf.PutInt64(256+headOffset, buf.GetInt64(0)^int64(binary.LittleEndian.Uint64(data[256:])))
		}
		for i := 0; i < 4; i++ {
			r.Read(func(_ int32, b shm.AtomicBuffer, off, length int) {
				if !b.Valid(off, length) {
					t.Fatalf("record [%d,+%d) outside the buffer", off, length)
				}
			}, 100)
		}
		r.Unblock()
	})
}

func BenchmarkWriteRead(b *testing.B) {
	r, _ := newRing(b, 1<<20)
	msg := make([]byte, 32)
	h := func(int32, shm.AtomicBuffer, int, int) {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Write(1, msg)
		if i%64 == 63 {
			r.Read(h, 64)
		}
	}
}

// BenchmarkConcurrentWrite has every benchmark goroutine write 32-byte
// records while one consumer drains, as client processes and the
// conductor do.
func BenchmarkConcurrentWrite(b *testing.B) {
	r, _ := newRing(b, 1<<20)
	h := func(int32, shm.AtomicBuffer, int, int) {}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				if r.Read(h, 256) == 0 {
					runtime.Gosched()
				}
			}
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		msg := make([]byte, 32)
		for pb.Next() {
			// Bounded retries: a full ring waits for the consumer.
			for i := 0; i < 1_000_000 && !r.Write(1, msg); i++ {
				runtime.Gosched()
			}
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}
