// Command basicsubscriber prints every message it receives, as Aeron's
// BasicSubscriber sample does.
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
	sub, err := c.AddSubscription(actx, s.Channel, int32(s.StreamID), client.WithImageHandlers(
		func(img *client.Image) {
			fmt.Printf("Available image on %s streamId=%d sessionId=%d from %s\n", s.Channel, s.StreamID, img.SessionID(), img.SourceIdentity())
		},
		func(img *client.Image) {
			fmt.Printf("Unavailable image on %s streamId=%d sessionId=%d\n", s.Channel, s.StreamID, img.SessionID())
		}))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Subscribing to %s on stream id %d\n", s.Channel, s.StreamID)
	asm := client.NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, h *client.Header) {
		fmt.Printf("Message to stream %d from session %d (%d@%d) <<%s>>\n",
			h.StreamID(), h.SessionID(), length, offset, buf.Bytes()[offset:offset+length])
	}, 0)
	received := 0
	for ctx.Err() == nil && (s.Messages == 0 || received < s.Messages) {
		n := sub.Poll(asm.Handler(), s.FragmentLimit)
		received += n
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}
