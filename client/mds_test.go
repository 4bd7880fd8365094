package client

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/backendtest"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// TestMultiDestinationSubscription: a control-mode=manual subscription
// with two destinations hears one multi-destination-cast publication
// through both, and delivers every message once, in order; removing one
// destination mid-stream loses nothing.
func TestMultiDestinationSubscription(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	const stream = 1060
	dests := []string{"aeron:udp?endpoint=127.0.0.1:40150", "aeron:udp?endpoint=127.0.0.1:40151"}
	sub, err := c.AddSubscription(ctxT(t), "aeron:udp?control-mode=manual", stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		if err := sub.AddDestination(ctxT(t), d); err != nil {
			t.Fatalf("add %s: %v", d, err)
		}
	}
	pub, err := c.AddPublication(ctxT(t), "aeron:udp?control-mode=manual", stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		if _, err := pub.AddDestination(ctxT(t), d); err != nil {
			t.Fatalf("publication add %s: %v", d, err)
		}
	}
	waitFor(t, 10*time.Second, "connected", func() bool { return pub.IsConnected() && sub.ImageCount() == 1 })
	streamNumbered(t, pub, sub, 3000, 200, func() {
		if err := sub.RemoveDestination(ctxT(t), dests[0]); err != nil {
			t.Fatalf("remove %s: %v", dests[0], err)
		}
	})
	plain, err := c.AddSubscription(ctxT(t), "aeron:udp?endpoint=127.0.0.1:40152", stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.AddDestination(ctxT(t), dests[0]); err == nil {
		t.Fatal("a destination added to a subscription without control-mode=manual")
	}
}

// TestRemoveDestinationByID: a multi-destination-cast publication stops
// sending to a destination removed by the id AddDestination returned.
func TestRemoveDestinationByID(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	const stream = 1061
	dests := []string{"aeron:udp?endpoint=127.0.0.1:40153", "aeron:udp?endpoint=127.0.0.1:40154"}
	pub, err := c.AddPublication(ctxT(t), "aeron:udp?control-mode=manual", stream)
	if err != nil {
		t.Fatal(err)
	}
	var subs []*Subscription
	var ids []int64
	for _, d := range dests {
		sub, err := c.AddSubscription(ctxT(t), d, stream)
		if err != nil {
			t.Fatal(err)
		}
		id, err := pub.AddDestination(ctxT(t), d)
		if err != nil {
			t.Fatal(err)
		}
		subs, ids = append(subs, sub), append(ids, id)
	}
	waitFor(t, 10*time.Second, "both connected", func() bool { return subs[0].ImageCount() == 1 && subs[1].ImageCount() == 1 })
	counts := make([]int, 2)
	poll := func() {
		for i, s := range subs {
			s.Poll(func(shm.AtomicBuffer, int, int, *Header) { counts[i]++ }, 100)
		}
	}
	send := func(n int) {
		for i := 0; i < n; {
			if pub.Offer([]byte("m")) > 0 {
				i++
			}
			poll()
		}
	}
	send(100)
	waitFor(t, 5*time.Second, "100 at both", func() bool { poll(); return counts[0] == 100 && counts[1] == 100 })
	if err := pub.RemoveDestinationByID(ctxT(t), ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := pub.RemoveDestinationByID(ctxT(t), 1<<40); err != nil {
		t.Fatalf("removing an unknown id: %v", err)
	}
	send(100)
	waitFor(t, 5*time.Second, "200 at the kept destination", func() bool { poll(); return counts[1] == 200 })
	if counts[0] != 100 {
		t.Fatalf("the removed destination got %d messages, want 100", counts[0])
	}
}

// TestAddDestinationWhileDataFlows: a destination added to a
// multi-destination subscription mid-stream joins the image it already
// has; nothing is lost or repeated.
func TestAddDestinationWhileDataFlows(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	const stream = 1062
	dests := []string{"aeron:udp?endpoint=127.0.0.1:40155", "aeron:udp?endpoint=127.0.0.1:40156"}
	sub, err := c.AddSubscription(ctxT(t), "aeron:udp?control-mode=manual", stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.AddDestination(ctxT(t), dests[0]); err != nil {
		t.Fatal(err)
	}
	pub, err := c.AddPublication(ctxT(t), "aeron:udp?control-mode=manual", stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		if _, err := pub.AddDestination(ctxT(t), d); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "connected", func() bool { return pub.IsConnected() && sub.ImageCount() == 1 })
	streamNumbered(t, pub, sub, 2000, 100, func() {
		if err := sub.AddDestination(ctxT(t), dests[1]); err != nil {
			t.Fatal(err)
		}
	})
	if sub.ImageCount() != 1 {
		t.Fatalf("%d images, want 1", sub.ImageCount())
	}
}

// streamNumbered offers count numbered messages of size bytes, calling
// halfway once between two offers, and checks the subscription delivers
// each once, in order, and nothing more.
func streamNumbered(t *testing.T, pub *Publication, sub *Subscription, count, size int, halfway func()) {
	t.Helper()
	next := 0
	handler := FragmentHandler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
		if v := int(binary.LittleEndian.Uint32(buf.Bytes()[offset:])); v != next {
			t.Fatalf("message %d, want %d", v, next)
		}
		next++
	})
	msg := make([]byte, size)
	deadline := time.Now().Add(20 * time.Second)
	called := false
	for i := 0; i < count; {
		if i == count/2 && !called {
			halfway()
			called = true
		}
		binary.LittleEndian.PutUint32(msg, uint32(i))
		if pub.Offer(msg) > 0 {
			i++
		} else if sub.Poll(handler, 10) == 0 && time.Now().After(deadline) {
			t.Fatalf("stuck at %d of %d", i, count)
		}
	}
	waitFor(t, 10*time.Second, "every message", func() bool {
		sub.Poll(handler, 100)
		return next == count
	})
	time.Sleep(100 * time.Millisecond)
	if sub.Poll(handler, 100) != 0 || next != count {
		t.Fatalf("%d messages, want %d", next, count)
	}
}
