package client

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/backendtest"
	"github.com/aeron-bypass/aeron-bypass/driver"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// launchOverMemory runs our driver on the in-memory backend, so aeron:udp
// channels go through the sender and receiver agents without a kernel.
func launchOverMemory(t testing.TB, opts backendtest.Options, mods ...func(*config.Config)) *EmbeddedDriver {
	t.Helper()
	cfg := config.Default()
	cfg.Dir = filepath.Join(t.TempDir(), "aeron")
	cfg.TermBufferLength = 64 << 10
	cfg.ThreadingMode = config.Shared
	// Back off, so an idle driver gives its processor back: AllocsPerRun
	// runs with GOMAXPROCS=1, and a spinning agent would hold the only
	// one until preempted.
	cfg.SharedIdleStrategy = "backoff"
	for _, m := range mods {
		m(&cfg)
	}
	e, err := LaunchEmbedded(cfg, driver.WithBackend(backendtest.New(backendtest.NewNetwork(opts))))
	if err != nil {
		t.Fatalf("launch our driver: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// TestNetworkPathDoesNotAllocate sends and receives over aeron:udp through
// the whole driver (conductor, sender, receiver on the in-memory backend)
// and counts every allocation in the process while it does: offering,
// sending, receiving, rebuilding, status messages and polling allocate
// nothing.
func TestNetworkPathDoesNotAllocate(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	ch := "aeron:udp?endpoint=127.0.0.1:40124"
	sub, err := c.AddSubscription(ctxT(t), ch, 1020)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.AddPublication(ctxT(t), ch, 1020)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !pub.IsConnected() || sub.ImageCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not connected over the in-memory network")
		}
		time.Sleep(time.Millisecond)
	}
	msg := make([]byte, 100)
	got := 0
	handler := FragmentHandler(func(shm.AtomicBuffer, int, int, *Header) { got++ })
	// AllocsPerRun runs with GOMAXPROCS=1: waiting yields the one P to
	// the driver's agents.
	roundTrip := func() {
		for pub.Offer(msg) < 0 {
			if sub.Poll(handler, 10) == 0 {
				runtime.Gosched()
			}
		}
		want := got + 1
		for got < want {
			if sub.Poll(handler, 10) == 0 {
				runtime.Gosched()
			}
		}
	}
	// Warm up through a few terms, so rotation and cleaning are steady.
	for range 3000 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(500, roundTrip); n != 0 {
		t.Errorf("offer, send, receive and poll over aeron:udp: %v allocs per message", n)
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestSpyOnNetworkPublication reads a network publication's log in place
// through aeron-spy, beside a real subscriber, and sees the stream end.
func TestSpyOnNetworkPublication(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	ch := "aeron:udp?endpoint=127.0.0.1:40125"
	sub, err := c.AddSubscription(ctxT(t), ch, 1021)
	if err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{}, 1)
	spy, err := c.AddSubscription(ctxT(t), "aeron-spy:"+ch, 1021, WithImageHandlers(nil, func(*Image) { gone <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.AddPublication(ctxT(t), ch, 1021)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "connected with a spy image", func() bool { return pub.IsConnected() && spy.ImageCount() == 1 })
	var fromSub, fromSpy []string
	collect := func(dst *[]string) FragmentHandler {
		return func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
			*dst = append(*dst, string(buf.Bytes()[offset:offset+length]))
		}
	}
	subH, spyH := collect(&fromSub), collect(&fromSpy)
	for i := range 500 {
		msg := []byte("m" + strconv.Itoa(i))
		for pub.Offer(msg) < 0 {
			sub.Poll(subH, 10)
			spy.Poll(spyH, 10)
		}
	}
	waitFor(t, 10*time.Second, "all 500 on both", func() bool {
		sub.Poll(subH, 100)
		spy.Poll(spyH, 100)
		return len(fromSub) == 500 && len(fromSpy) == 500
	})
	for i := range 500 {
		if want := "m" + strconv.Itoa(i); fromSub[i] != want || fromSpy[i] != want {
			t.Fatalf("message %d: subscriber %q, spy %q, want %q", i, fromSub[i], fromSpy[i], want)
		}
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("spy image not withdrawn after the publication closed")
	}
}

// TestSpiesSimulateConnection: with ssc=true a spy alone connects a
// network publication and keeps it moving, through several terms, with
// nobody on the network; without it the same spy leaves the publication
// unconnected.
func TestSpiesSimulateConnection(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	plain := "aeron:udp?endpoint=127.0.0.1:40126"
	ssc := plain + "|ssc=true"
	spy, err := c.AddSubscription(ctxT(t), "aeron-spy:"+plain, 1022)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := c.AddPublication(ctxT(t), ssc, 1022)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "connected through the spy alone", func() bool { return pub.IsConnected() && spy.ImageCount() == 1 })
	if _, err := c.AddPublication(ctxT(t), plain+"|ssc=false", 1022); err == nil {
		t.Fatal("a publication with ssc=false joined one with ssc=true")
	}
	// Three 64 KiB terms: the sender must follow the spy for the
	// publisher limit to move.
	const count = 2000
	msg := make([]byte, 96)
	got := 0
	handler := FragmentHandler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
		if v := int(buf.GetInt32(offset)); v != got {
			t.Fatalf("spy read message %d, want %d", v, got)
		}
		got++
	})
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < count; {
		binary.LittleEndian.PutUint32(msg, uint32(i))
		if pub.Offer(msg) > 0 {
			i++
		} else if spy.Poll(handler, 10) == 0 && time.Now().After(deadline) {
			t.Fatalf("stuck after %d of %d offers (position %d, limit %d)", i, count, pub.Position(), pub.PositionLimit())
		}
	}
	waitFor(t, 10*time.Second, "every message at the spy", func() bool {
		spy.Poll(handler, 100)
		return got == count
	})

	// The same without ssc: the spy is there, the publication stays
	// unconnected and the publisher is held at its start.
	spy2, err := c.AddSubscription(ctxT(t), "aeron-spy:aeron:udp?endpoint=127.0.0.1:40127", 1023)
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := c.AddPublication(ctxT(t), "aeron:udp?endpoint=127.0.0.1:40127", 1023)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "spy image", func() bool { return spy2.ImageCount() == 1 })
	time.Sleep(300 * time.Millisecond)
	if pub2.IsConnected() || pub2.Offer(msg) != NotConnected {
		t.Fatal("a spy alone connected a publication without ssc")
	}
}
