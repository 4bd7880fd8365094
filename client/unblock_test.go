package client

import (
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/backendtest"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// TestUnblockAbandonedClaim: a publisher that claims space and never
// commits it (as a client that died mid-offer would) holds the stream
// back only until the publication unblock timeout; then the driver pads
// over the claim, the messages behind it arrive, and the "Unblocked
// Publications" counter says so. Network (the sender's position is
// stuck) and IPC (the subscribers' are) alike.
func TestUnblockAbandonedClaim(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{}, func(cfg *config.Config) {
		cfg.PublicationUnblockTimeout = 500 * time.Millisecond
	})
	c := connect(t, e.Dir(), nil)
	unblocked := int32(counters.UnblockedPublicationsID)
	for i, ch := range []string{"aeron:udp?endpoint=127.0.0.1:40128", "aeron:ipc"} {
		t.Run(ch, func(t *testing.T) {
			stream := int32(1030 + i)
			sub, err := c.AddSubscription(ctxT(t), ch, stream)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := c.AddPublication(ctxT(t), ch, stream)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "connected", func() bool { return pub.IsConnected() && sub.ImageCount() == 1 })
			// Read before the claim: the unblock timeout may pass, and
			// the driver pad over it, before the test reads on.
			before := c.CountersReader().CounterValue(unblocked)
			var got []string
			handler := FragmentHandler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
				got = append(got, string(buf.Bytes()[offset:offset+length]))
			})
			offer := func(msg string) {
				waitFor(t, 5*time.Second, "offer "+msg, func() bool { return pub.Offer([]byte(msg)) > 0 })
			}
			offer("before")
			var claim BufferClaim
			if r := pub.TryClaim(64, &claim); r < 0 {
				t.Fatalf("claim: %d", r)
			}
			copy(claim.Buffer().Bytes(), "never committed")
			offer("after")
			waitFor(t, 10*time.Second, "the message behind the abandoned claim", func() bool {
				sub.Poll(handler, 10)
				return len(got) == 2
			})
			if got[0] != "before" || got[1] != "after" {
				t.Fatalf("received %q", got)
			}
			if n := c.CountersReader().CounterValue(unblocked); n != before+1 {
				t.Fatalf("unblocked publications %d, want %d", n, before+1)
			}
		})
	}
}
