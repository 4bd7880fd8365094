package udp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

func openPair(t testing.TB, addr string) (backend.Transport, backend.Transport) {
	t.Helper()
	b := New(backend.Options{})
	t.Cleanup(func() { b.Close() })
	a, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort(addr + ":0")})
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort(addr + ":0")})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// receiveAll polls until n datagrams arrived or the deadline passes.
func receiveAll(t testing.TB, tr backend.Transport, n int, each func(backend.Message)) {
	t.Helper()
	msgs := make([]backend.Message, DefaultBatchSize)
	deadline := time.Now().Add(5 * time.Second)
	got := 0
	for got < n && time.Now().Before(deadline) {
		k, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs[:k] {
			each(m)
		}
		got += k
		if k == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if got != n {
		t.Fatalf("received %d of %d datagrams", got, n)
	}
}

func TestBatchExchange(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "[::1]"} {
		t.Run(addr, func(t *testing.T) {
			a, b := openPair(t, addr)
			const n = 200
			msgs := make([]backend.Message, n)
			for i := range msgs {
				msgs[i] = backend.Message{Buf: []byte(fmt.Sprintf("datagram %03d", i)), Addr: b.LocalAddr()}
			}
			sent := 0
			for sent < n {
				k, err := a.Send(msgs[sent:])
				if err != nil {
					t.Fatal(err)
				}
				sent += k
			}
			i := 0
			receiveAll(t, b, n, func(m backend.Message) {
				if want := fmt.Sprintf("datagram %03d", i); string(m.Buf) != want {
					t.Fatalf("got %q want %q", m.Buf, want)
				}
				if m.Addr != a.LocalAddr() {
					t.Fatalf("source %s, want %s", m.Addr, a.LocalAddr())
				}
				i++
			})
		})
	}
}

func TestConnectedAndEmpty(t *testing.T) {
	b := New(backend.Options{})
	defer b.Close()
	rx, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0"), Connect: rx.LocalAddr()})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := tx.Send([]backend.Message{{Buf: nil}, {Buf: []byte("x"), Addr: rx.LocalAddr()}}); n != 2 || err != nil {
		t.Fatalf("send = %d, %v", n, err)
	}
	var lens []int
	receiveAll(t, rx, 2, func(m backend.Message) { lens = append(lens, len(m.Buf)) })
	if lens[0] != 0 || lens[1] != 1 {
		t.Fatalf("lengths %v", lens)
	}
	if s := b.Stats(); s.DatagramsOut != 2 || s.DatagramsIn != 2 || s.BytesIn != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestTruncatedDatagramDropped(t *testing.T) {
	b := New(backend.Options{})
	defer b.Close()
	rx, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0"), MaxDatagram: 64})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	big := bytes.Repeat([]byte{1}, 100)
	if _, err := tx.Send([]backend.Message{{Buf: big, Addr: rx.LocalAddr()}, {Buf: []byte("ok"), Addr: rx.LocalAddr()}}); err != nil {
		t.Fatal(err)
	}
	receiveAll(t, rx, 1, func(m backend.Message) {
		if string(m.Buf) != "ok" {
			t.Fatalf("got %q", m.Buf)
		}
	})
	if b.Stats().Drops != 1 {
		t.Fatalf("drops %d", b.Stats().Drops)
	}
}

func TestClosed(t *testing.T) {
	a, _ := openPair(t, "127.0.0.1")
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	msgs := make([]backend.Message, 4)
	if _, err := a.Receive(msgs); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("receive after close: %v", err)
	}
	if _, err := a.Send([]backend.Message{{Buf: []byte("x"), Addr: netip.MustParseAddrPort("127.0.0.1:9")}}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	b := New(backend.Options{})
	b.Close()
	if _, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("open after close: %v", err)
	}
}

func TestNoAllocations(t *testing.T) {
	a, b := openPair(t, "127.0.0.1")
	out := make([]backend.Message, 16)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 32), Addr: b.LocalAddr()}
	}
	in := make([]backend.Message, 16)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := a.Send(out); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 16; {
			n, err := b.Receive(in)
			if err != nil {
				t.Fatal(err)
			}
			k += n
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per send+receive batch", allocs)
	}
}

func TestRegistered(t *testing.T) {
	_, r, _, err := backend.Choose("udp", backend.Options{})
	if err != nil || !r.Available {
		t.Fatalf("udp not chosen: %v %+v", err, r)
	}
}

func BenchmarkSend(b *testing.B) {
	tx, rx := openPair(b, "127.0.0.1")
	msgs := make([]backend.Message, DefaultBatchSize)
	for i := range msgs {
		msgs[i] = backend.Message{Buf: make([]byte, 32), Addr: rx.LocalAddr()}
	}
	b.ReportAllocs()
	// The receiver is never drained: once its buffer is full the kernel
	// drops at the socket, after doing the whole loopback send path, so
	// the figure is the sender's cost without a receiver in the loop.
	sent := 0
	for b.Loop() {
		n, err := tx.Send(msgs)
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "datagrams/s")
}

func BenchmarkReceive(b *testing.B) {
	bk := New(backend.Options{})
	b.Cleanup(func() { bk.Close() })
	rx, err := bk.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0"), SocketRcvBuf: 4 << 20})
	if err != nil {
		b.Fatal(err)
	}
	tx, err := bk.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]backend.Message, DefaultBatchSize)
	for i := range msgs {
		msgs[i] = backend.Message{Buf: make([]byte, 32), Addr: rx.LocalAddr()}
	}
	in := make([]backend.Message, DefaultBatchSize)
	b.ReportAllocs()
	got := 0
	b.ResetTimer()
	for got < b.N {
		// Queue a thousand datagrams untimed (the timer toggles are
		// costly), then time draining them.
		b.StopTimer()
		for range 1024 / len(msgs) {
			_, _ = tx.Send(msgs)
		}
		b.StartTimer()
		for range 1 << 16 {
			n, err := rx.Receive(in)
			if err != nil {
				b.Fatal(err)
			}
			got += n
			if n == 0 {
				break
			}
		}
	}
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "datagrams/s")
}
