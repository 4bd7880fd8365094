// Command pong echoes every message from the ping channel back on the pong
// channel, as Aeron's Pong sample does.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/client/examples/internal/sample"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func main() {
	s := sample.Parse(0)
	ctx, stop := sample.Context()
	defer stop()
	c, err := s.Connect()
	if err != nil {
		sample.Fatal(err)
	}
	defer c.Close()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sub, err := c.AddSubscription(actx, s.PingChannel, int32(s.PingStreamID))
	if err != nil {
		sample.Fatal(err)
	}
	pub, err := c.AddExclusivePublication(actx, s.PongChannel, int32(s.PongStreamID))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Subscribing Ping at %s on stream id %d\nPublishing Pong at %s on stream id %d\n",
		s.PingChannel, s.PingStreamID, s.PongChannel, s.PongStreamID)
	handler := func(buf shm.AtomicBuffer, offset, length int, _ *client.Header) {
		msg := buf.Bytes()[offset : offset+length]
		for pub.Offer(msg) < 0 && ctx.Err() == nil {
		}
	}
	// Busy polling, as Pong's default idle strategy spins.
	for ctx.Err() == nil {
		sub.Poll(handler, s.FragmentLimit)
	}
}
