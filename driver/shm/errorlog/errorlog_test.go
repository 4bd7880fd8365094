package errorlog

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func TestDistinct(t *testing.T) {
	now := int64(100)
	buf := shm.NewAtomicBuffer(make([]byte, 256))
	l := New(buf, func() int64 { return now })
	l.Record(1, "bad channel")
	now = 200
	l.Record(1, "bad channel")
	l.Record(2, "bad channel")
	type rec struct {
		count       int32
		first, last int64
		text        string
	}
	var got []rec
	Read(buf, func(c int32, f, la int64, txt string) { got = append(got, rec{c, f, la, txt}) }, 0)
	if len(got) != 2 || got[0] != (rec{2, 100, 200, "bad channel"}) || got[1].count != 1 {
		t.Fatalf("%+v", got)
	}
	if n := Read(buf, func(int32, int64, int64, string) {}, 150); n != 2 {
		t.Fatalf("since filter %d", n)
	}
	for i := 0; i < 20; i++ {
		l.Record(int32(10+i), "another distinct error that takes space")
	}
	if l.Record(99, "no room is left in this log for an error this long") {
		t.Fatal("recorded into a full log")
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte{30, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		Read(shm.NewAtomicBuffer(append(make([]byte, 0, len(data)+8), data...)), func(int32, int64, int64, string) {}, 0)
	})
}

func TestConcurrentRecordAndRead(t *testing.T) {
	buf := shm.NewAtomicBuffer(make([]byte, 64*1024))
	var now atomic.Int64
	l := New(buf, now.Load)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				now.Add(1)
				l.Record(int32(i%5), fmt.Sprintf("error %d", (g+i)%7))
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			Read(buf, func(c int32, f, la int64, txt string) {
				if c < 1 || la < f || !strings.HasPrefix(txt, "error ") {
					t.Errorf("torn record: %d %d %d %q", c, f, la, txt)
				}
			}, 0)
		}
	}()
	wg.Wait()
	<-done
	total := int32(0)
	distinct := Read(buf, func(c int32, _, _ int64, _ string) { total += c }, 0)
	// Codes 0..4 against texts 0..6 give at most 35 pairs.
	if total != 800 || distinct > 35 {
		t.Fatalf("%d observations in %d records", total, distinct)
	}
}
