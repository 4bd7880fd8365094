package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

func open(t testing.TB, b *Backend, addr string) backend.Transport {
	t.Helper()
	tr, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort(addr)})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func sendN(t testing.TB, tr backend.Transport, dst netip.AddrPort, n int) {
	t.Helper()
	for i := range n {
		msg := []backend.Message{{Buf: fmt.Appendf(nil, "d%03d", i), Addr: dst}}
		if k, err := tr.Send(msg); err != nil || k != 1 {
			t.Fatalf("send %d: %d, %v", i, k, err)
		}
	}
}

func drain(t testing.TB, tr backend.Transport) []string {
	t.Helper()
	var got []string
	msgs := make([]backend.Message, 8)
	for range 10000 {
		k, err := tr.Receive(msgs)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return got
		}
		for _, m := range msgs[:k] {
			got = append(got, string(m.Buf))
		}
	}
	t.Fatal("receive never drained")
	return nil
}

func TestUnicastAndSource(t *testing.T) {
	b := New(nil)
	defer b.Close()
	a := open(t, b, "10.0.0.1:0")
	c := open(t, b, "0.0.0.0:9000")
	sendN(t, a, netip.MustParseAddrPort("10.0.0.2:9000"), 20)
	msgs := make([]backend.Message, 32)
	k, err := c.Receive(msgs)
	if err != nil || k != 20 {
		t.Fatalf("received %d, %v; want 20", k, err)
	}
	for i, m := range msgs[:k] {
		if want := fmt.Sprintf("d%03d", i); string(m.Buf) != want || m.Addr != a.LocalAddr() {
			t.Fatalf("message %d = %q from %v, want %q from %v", i, m.Buf, m.Addr, want, a.LocalAddr())
		}
	}
	if s := b.Stats(); s.DatagramsOut != 20 || s.DatagramsIn != 20 {
		t.Fatalf("stats %+v", s)
	}
	// A port that is taken cannot be bound twice.
	if _, err := b.Open(backend.Spec{Local: c.LocalAddr()}); err == nil {
		t.Fatal("second bind of the same address succeeded")
	}
}

func TestMulticastAndConnect(t *testing.T) {
	b := New(nil)
	defer b.Close()
	group := "239.255.1.1:4000"
	m1 := open(t, b, group)
	m2 := open(t, b, group)
	src := open(t, b, "10.0.0.1:0")
	sendN(t, src, netip.MustParseAddrPort(group), 3)
	for _, m := range []backend.Transport{m1, m2} {
		if got := drain(t, m); len(got) != 3 {
			t.Fatalf("member got %v", got)
		}
	}

	peer := open(t, b, "10.0.0.9:5000")
	conn, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("10.0.0.8:0"), Connect: peer.LocalAddr()})
	if err != nil {
		t.Fatal(err)
	}
	// A connected transport sends to its peer whatever the message says,
	// and hears only its peer.
	sendN(t, conn, netip.MustParseAddrPort("10.0.0.7:1"), 2)
	if got := drain(t, peer); len(got) != 2 {
		t.Fatalf("peer got %v", got)
	}
	sendN(t, src, conn.LocalAddr(), 1)
	sendN(t, peer, conn.LocalAddr(), 1)
	if got := drain(t, conn); len(got) != 1 {
		t.Fatalf("connected transport got %v, want only the peer's datagram", got)
	}
}

func TestFaultsAreSeeded(t *testing.T) {
	run := func() []string {
		n := NewNetwork(Options{Seed: 7, DropRate: 0.1, DuplicateRate: 0.1, ReorderRate: 0.1})
		b := New(n)
		defer b.Close()
		a := open(t, b, "10.0.0.1:0")
		c := open(t, b, "10.0.0.2:9000")
		sendN(t, a, c.LocalAddr(), 200)
		n.Flush()
		return drain(t, c)
	}
	first, second := run(), run()
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Fatal("the same seed gave different fates")
	}
	seen := map[string]int{}
	reordered := false
	for i, s := range first {
		seen[s]++
		if i > 0 && s < first[i-1] {
			reordered = true
		}
	}
	dup := false
	for _, c := range seen {
		dup = dup || c > 1
	}
	if len(seen) >= 200 || !dup || !reordered {
		t.Fatalf("faults not applied: %d distinct of 200, duplicated %v, reordered %v", len(seen), dup, reordered)
	}
}

func TestInspect(t *testing.T) {
	var inspected int
	n := NewNetwork(Options{Inspect: func(src, dst netip.AddrPort, p []byte) Action {
		inspected++
		if bytes.HasSuffix(p, []byte("1")) {
			return Drop
		}
		return Deliver
	}})
	b := New(n)
	defer b.Close()
	a := open(t, b, "10.0.0.1:0")
	c := open(t, b, "10.0.0.2:9000")
	sendN(t, a, c.LocalAddr(), 12)
	got := drain(t, c)
	if inspected != 12 || len(got) != 10 {
		t.Fatalf("inspected %d, delivered %v", inspected, got)
	}
	if s := b.Stats(); s.Drops != 2 {
		t.Fatalf("drops %d, want 2", s.Drops)
	}
}

func TestQueueBoundAndClose(t *testing.T) {
	b := New(NewNetwork(Options{QueueLength: 4}))
	a := open(t, b, "10.0.0.1:0")
	c := open(t, b, "10.0.0.2:9000")
	sendN(t, a, c.LocalAddr(), 6)
	if got := drain(t, c); len(got) != 4 {
		t.Fatalf("got %d, want the queue's 4", len(got))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	msgs := make([]backend.Message, 1)
	if _, err := c.Receive(msgs); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("receive after close: %v", err)
	}
	if _, err := a.Send(msgs); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if _, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("10.0.0.3:1")}); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("open after close: %v", err)
	}
}

func TestNoAllocations(t *testing.T) {
	b := New(nil)
	defer b.Close()
	a := open(t, b, "10.0.0.1:0")
	c := open(t, b, "10.0.0.2:9000")
	out := make([]backend.Message, 8)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 32), Addr: c.LocalAddr()}
	}
	in := make([]backend.Message, 8)
	cycle := func() {
		a.Send(out)
		c.Receive(in)
	}
	// Queue slots take memory on first use; once every slot has been used
	// delivery reuses it.
	for range DefaultQueueLength/len(out) + 1 {
		cycle()
	}
	if allocs := testing.AllocsPerRun(100, cycle); allocs != 0 {
		t.Fatalf("send+receive allocates %v per batch", allocs)
	}
}

func BenchmarkSendReceive(b *testing.B) {
	bk := New(nil)
	defer bk.Close()
	a := open(b, bk, "10.0.0.1:0")
	c := open(b, bk, "10.0.0.2:9000")
	out := make([]backend.Message, 16)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 32), Addr: c.LocalAddr()}
	}
	in := make([]backend.Message, 16)
	b.ReportAllocs()
	for b.Loop() {
		a.Send(out)
		c.Receive(in)
	}
	b.ReportMetric(float64(b.N*len(out))/b.Elapsed().Seconds(), "datagrams/s")
}

func TestConcurrentSenderAndReceiver(t *testing.T) {
	b := New(NewNetwork(Options{QueueLength: 64}))
	defer b.Close()
	a := open(t, b, "10.0.0.1:0")
	c := open(t, b, "10.0.0.2:9000")
	const n = 2000
	done := make(chan struct{})
	go func() {
		defer close(done)
		msg := []backend.Message{{Buf: make([]byte, 8), Addr: c.LocalAddr()}}
		for range n {
			a.Send(msg)
		}
	}()
	in := make([]backend.Message, 16)
	got := 0
	for spins := 0; spins < 1_000_000; spins++ {
		k, err := c.Receive(in)
		if err != nil {
			t.Fatal(err)
		}
		got += k
		select {
		case <-done:
			got += len(drain(t, c))
			if s := b.Stats(); uint64(got)+s.Drops != n {
				t.Fatalf("received %d and dropped %d of %d", got, s.Drops, n)
			}
			return
		default:
		}
	}
	t.Fatal("sender did not finish")
}
