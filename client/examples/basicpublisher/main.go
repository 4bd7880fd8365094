// Command basicpublisher offers a numbered text message every second, as
// Aeron's BasicPublisher sample does.
package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/client/examples/internal/sample"
)

func main() {
	s := sample.Parse(10)
	ctx, stop := sample.Context()
	defer stop()
	c, err := s.Connect()
	if err != nil {
		sample.Fatal(err)
	}
	defer c.Close()
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pub, err := c.AddPublication(actx, s.Channel, int32(s.StreamID))
	if err != nil {
		sample.Fatal(err)
	}
	fmt.Printf("Publishing to %s on stream id %d\n", s.Channel, s.StreamID)
	for i := 0; i < s.Messages && ctx.Err() == nil; i++ {
		msg := fmt.Sprintf("Hello World! %d", i)
		fmt.Printf("Offering %d/%d - ", i, s.Messages)
		switch r := pub.Offer([]byte(msg)); {
		case r > 0:
			fmt.Println("yay!")
		case r == client.BackPressured:
			fmt.Println("Offer failed due to back pressure")
		case r == client.NotConnected:
			fmt.Println("Offer failed because publisher is not connected to a subscriber")
		case r == client.AdminAction:
			fmt.Println("Offer failed because of an administration action in the system")
		case r == client.Closed:
			fmt.Println("Offer failed because publication is closed")
		case r == client.MaxPositionExceeded:
			fmt.Println("Offer failed due to publication reaching its max position")
		default:
			fmt.Println("Offer failed due to unknown reason:", r)
		}
		if !pub.IsConnected() {
			fmt.Println("No active subscribers detected")
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	fmt.Println("Done sending.")
}
