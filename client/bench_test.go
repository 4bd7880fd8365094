package client

import (
	"context"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func discard(shm.AtomicBuffer, int, int, *Header) {}

// drain polls until the publication may offer again.
func drain(sub *Subscription) {
	for range 1000 {
		if sub.Poll(discard, 256) == 0 {
			return
		}
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1010)
		msg := make([]byte, 64)
		handler := FragmentHandler(discard)
		// Warm up: rotate through terms once.
		for range 1000 {
			if pub.Offer(msg) < 0 {
				drain(sub)
			}
		}
		drain(sub)
		if n := testing.AllocsPerRun(1000, func() {
			if pub.Offer(msg) < 0 {
				drain(sub)
			}
		}); n != 0 {
			t.Errorf("Offer: %v allocs", n)
		}
		var claim BufferClaim
		if n := testing.AllocsPerRun(1000, func() {
			if pub.TryClaim(64, &claim) >= 0 {
				claim.Commit()
			} else {
				drain(sub)
			}
		}); n != 0 {
			t.Errorf("TryClaim: %v allocs", n)
		}
		if n := testing.AllocsPerRun(1000, func() {
			pub.Offer(msg)
			sub.Poll(handler, 10)
		}); n != 0 {
			t.Errorf("Poll: %v allocs", n)
		}
		asm := NewFragmentAssembler(discard, 1<<16)
		big := make([]byte, 3*pub.MaxPayloadLength())
		ah := asm.Handler()
		for range 10 {
			offer(t, pub, big, func() { sub.Poll(ah, 100) })
		}
		if n := testing.AllocsPerRun(200, func() {
			if pub.Offer(big) < 0 {
				for range 100 {
					if sub.Poll(ah, 100) == 0 {
						break
					}
				}
			}
		}); n != 0 {
			t.Errorf("fragmented Offer + assembled Poll: %v allocs", n)
		}
	})
}

// BenchmarkClient runs the client's hot paths against each driver: start
// the driver once, then sub-benchmarks.
func BenchmarkClient(b *testing.B) {
	for _, d := range drivers {
		b.Run(d.name, func(b *testing.B) {
			dir, _ := d.start(b)
			c := connect(b, dir, nil)
			pub, sub := pubSub(b, c, 1020)
			msg := make([]byte, 32)
			b.Run("Offer32", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					for pub.Offer(msg) < 0 {
						drain(sub)
					}
				}
				drain(sub)
			})
			b.Run("TryClaim32", func(b *testing.B) {
				var claim BufferClaim
				b.ReportAllocs()
				for b.Loop() {
					for pub.TryClaim(32, &claim) < 0 {
						drain(sub)
					}
					claim.Commit()
				}
				drain(sub)
			})
			b.Run("OfferPoll32", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(32)
				for b.Loop() {
					for pub.Offer(msg) < 0 {
						drain(sub)
					}
					sub.Poll(discard, 1)
				}
				drain(sub)
			})
			b.Run("PingPong32", func(b *testing.B) {
				benchPingPong(b, c)
			})
		})
	}
}

// benchPingPong measures the round trip of a 32-byte message: ping on one
// stream, pong echoed back by a goroutine on another (Aeron's Ping/Pong).
func benchPingPong(b *testing.B, c *Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pingPub, err := c.AddPublication(ctx, "aeron:ipc", 1030)
	if err != nil {
		b.Fatal(err)
	}
	defer pingPub.Close()
	pingSub, err := c.AddSubscription(ctx, "aeron:ipc", 1030)
	if err != nil {
		b.Fatal(err)
	}
	defer pingSub.Close()
	pongPub, err := c.AddPublication(ctx, "aeron:ipc", 1031)
	if err != nil {
		b.Fatal(err)
	}
	defer pongPub.Close()
	pongSub, err := c.AddSubscription(ctx, "aeron:ipc", 1031)
	if err != nil {
		b.Fatal(err)
	}
	defer pongSub.Close()
	waitFor(b, 10*time.Second, "ping pong connected", func() bool {
		return pingPub.IsConnected() && pongPub.IsConnected() && pingSub.IsConnected() && pongSub.IsConnected()
	})
	stop := make(chan struct{})
	done := make(chan struct{})
	echo := func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
		for range 1_000_000 {
			if pongPub.Offer(buf.Bytes()[offset:offset+length]) >= 0 {
				return
			}
		}
	}
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			pingSub.Poll(echo, 10)
		}
	}()
	msg := make([]byte, 32)
	got := 0
	onPong := func(shm.AtomicBuffer, int, int, *Header) { got++ }
	b.ReportAllocs()
	for b.Loop() {
		for pingPub.Offer(msg) < 0 {
		}
		want := got + 1
		for i := 0; got < want && i < 100_000_000; i++ {
			pongSub.Poll(onPong, 1)
		}
	}
	close(stop)
	<-done
}
