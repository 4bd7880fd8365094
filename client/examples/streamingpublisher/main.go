// Command streamingpublisher offers messages as fast as it can and reports
// the rate, as Aeron's StreamingPublisher sample does.
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client/examples/internal/sample"
)

func main() {
	s := sample.Parse(10_000_000)
	ctx, stop := sample.Context()
	defer stop()
	c, err := s.Connect()
	if err != nil {
		sample.Fatal(err)
	}
	defer c.Close()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	add := c.AddPublication
	if s.Exclusive {
		add = c.AddExclusivePublication
	}
	pub, err := add(actx, s.Channel, int32(s.StreamID))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Streaming %d messages of size %d bytes to %s on stream id %d\n", s.Messages, s.MessageLength, s.Channel, s.StreamID)
	for i := 0; i < 1000 && !pub.IsConnected() && ctx.Err() == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	msg := make([]byte, max(s.MessageLength, 8))[:s.MessageLength]
	var rate sample.RateReporter
	backPressured := 0
	start := time.Now()
	for i := 0; i < s.Messages && ctx.Err() == nil; i++ {
		if len(msg) >= 8 {
			binary.LittleEndian.PutUint64(msg, uint64(i))
		}
		for pub.Offer(msg) < 0 {
			backPressured++
			if ctx.Err() != nil {
				break
			}
		}
		rate.Record(len(msg))
		if i&0xFFF == 0 {
			rate.Report(time.Now())
		}
	}
	el := time.Since(start)
	fmt.Printf("Done streaming. %d messages in %s (%.4g msgs/sec), back pressure ratio %.3g\n",
		s.Messages, el, float64(s.Messages)/el.Seconds(), float64(backPressured)/float64(max(s.Messages, 1)))
}
