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
		if err := pub.AddDestination(ctxT(t), d); err != nil {
			t.Fatalf("publication add %s: %v", d, err)
		}
	}
	waitFor(t, 10*time.Second, "connected", func() bool { return pub.IsConnected() && sub.ImageCount() == 1 })
	const count = 3000
	next := 0
	handler := FragmentHandler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
		if v := int(binary.LittleEndian.Uint32(buf.Bytes()[offset:])); v != next {
			t.Fatalf("message %d, want %d", v, next)
		}
		next++
	})
	msg := make([]byte, 200)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < count; {
		if i == count/2 {
			if err := sub.RemoveDestination(ctxT(t), dests[0]); err != nil {
				t.Fatalf("remove %s: %v", dests[0], err)
			}
			binary.LittleEndian.PutUint32(msg, uint32(i))
			waitFor(t, 5*time.Second, "offer", func() bool { return pub.Offer(msg) > 0 })
			i++
			continue
		}
		binary.LittleEndian.PutUint32(msg, uint32(i))
		if pub.Offer(msg) > 0 {
			i++
		} else if sub.Poll(handler, 10) == 0 && time.Now().After(deadline) {
			t.Fatalf("stuck at %d", i)
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
	plain, err := c.AddSubscription(ctxT(t), "aeron:udp?endpoint=127.0.0.1:40152", stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.AddDestination(ctxT(t), dests[0]); err == nil {
		t.Fatal("a destination added to a subscription without control-mode=manual")
	}
}
