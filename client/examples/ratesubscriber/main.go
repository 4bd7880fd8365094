// Command ratesubscriber consumes messages and reports the rate, as
// Aeron's RateSubscriber sample does.
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
	sub, err := c.AddSubscription(actx, s.Channel, int32(s.StreamID))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Subscribing to %s on stream id %d\n", s.Channel, s.StreamID)
	var rate sample.RateReporter
	asm := client.NewFragmentAssembler(func(_ shm.AtomicBuffer, _, length int, _ *client.Header) {
		rate.Record(length)
	}, 0)
	h := asm.Handler()
	for i := 0; ctx.Err() == nil; i++ {
		if sub.Poll(h, s.FragmentLimit) == 0 {
			time.Sleep(10 * time.Microsecond)
		}
		if i&0xFFF == 0 {
			rate.Report(time.Now())
		}
	}
}
