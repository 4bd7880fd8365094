// Command ping sends timestamped messages on the ping channel, waits for
// each to come back on the pong channel and prints round-trip percentiles,
// as Aeron's Ping sample does.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/client/examples/internal/sample"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func main() {
	s := sample.Parse(1_000_000)
	ctx, stop := sample.Context()
	defer stop()
	c, err := s.Connect()
	if err != nil {
		sample.Fatal(err)
	}
	defer c.Close()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pub, err := c.AddExclusivePublication(actx, s.PingChannel, int32(s.PingStreamID))
	if err != nil {
		sample.Fatal(err)
	}
	sub, err := c.AddSubscription(actx, s.PongChannel, int32(s.PongStreamID))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Publishing Ping at %s on stream id %d\nSubscribing Pong at %s on stream id %d\nMessage length of %d bytes\n",
		s.PingChannel, s.PingStreamID, s.PongChannel, s.PongStreamID, s.MessageLength)
	for i := 0; i < 3000 && !(pub.IsConnected() && sub.IsConnected()); i++ {
		if ctx.Err() != nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !sub.IsConnected() {
		sample.Fatal(fmt.Errorf("no pong within 30s on %s stream %d", s.PongChannel, s.PongStreamID))
	}
	epoch := time.Now()
	rtts := make([]int64, 0, s.Messages)
	record := false
	got := 0
	handler := func(buf shm.AtomicBuffer, offset, length int, _ *client.Header) {
		got++
		if record && length >= 8 {
			sent := int64(binary.LittleEndian.Uint64(buf.Bytes()[offset:]))
			rtts = append(rtts, int64(time.Since(epoch))-sent)
		}
	}
	msg := make([]byte, max(s.MessageLength, 8))
	run := func(n int) {
		for i := 0; i < n && ctx.Err() == nil; i++ {
			binary.LittleEndian.PutUint64(msg, uint64(time.Since(epoch)))
			for pub.Offer(msg) < 0 && ctx.Err() == nil {
			}
			want := got + 1
			for got < want && ctx.Err() == nil {
				sub.Poll(handler, 1)
			}
		}
	}
	fmt.Printf("Warming up... %d iterations of %d messages\n", 1, s.Warmup)
	run(s.Warmup)
	record = true
	fmt.Printf("Pinging %d messages\n", s.Messages)
	run(s.Messages)
	sample.Percentiles(rtts)
}
