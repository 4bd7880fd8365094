package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

type received struct {
	session int32
	text    string
}

// collector polls a subscription and keeps what arrives.
type collector struct {
	sub *client.Subscription
	got []received
}

func (c *collector) handler(buf shm.AtomicBuffer, offset, length int, h *client.Header) {
	c.got = append(c.got, received{h.SessionID(), string(buf.Bytes()[offset : offset+length])})
}

// pollUntil polls until n messages in total have arrived.
func (c *collector) pollUntil(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for len(c.got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d messages after %v", c.sub.Channel(), len(c.got), n, timeout)
		}
		if c.sub.Poll(c.handler, 100) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// expect checks messages [from, to) of the collector are prefix:i for i
// from first on, all from one session.
func (c *collector) expect(t *testing.T, from, to int, prefix string, first int) int32 {
	t.Helper()
	if len(c.got) < to {
		t.Fatalf("only %d messages, want %d", len(c.got), to)
	}
	session := c.got[from].session
	for i := from; i < to; i++ {
		want := fmt.Sprintf("%s:%d", prefix, first+i-from)
		if c.got[i].text != want || c.got[i].session != session {
			t.Fatalf("message %d is %q from session %d, want %q from %d", i, c.got[i].text, c.got[i].session, want, session)
		}
	}
	return session
}

func offerAll(t *testing.T, pub *client.Publication, prefix string, from, count int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for i := from; i < from+count; i++ {
		msg := []byte(fmt.Sprintf("%s:%d", prefix, i))
		for pub.Offer(msg) < 0 {
			if time.Now().After(deadline) {
				t.Fatalf("offer %d stuck", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
}

func waitConnected(t *testing.T, pub *client.Publication) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !pub.IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("publication never connected")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// imageEvent is an image coming or going, seen by a subscription.
type imageEvent struct {
	available bool
	session   int32
}

func waitEvent(t *testing.T, ch <-chan imageEvent, want imageEvent, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-ch:
			if e == want {
				return
			}
		case <-deadline:
			t.Fatalf("no image event %+v after %v", want, timeout)
		}
	}
}

// TestStreamLifecycle follows a stream through what happens to it in
// production, across the link: a receiver that joins late and one that
// leaves, a publisher that goes (end of stream) and comes back as a new
// session, and a publisher whose driver dies, whose image times out.
func TestStreamLifecycle(t *testing.T) {
	acrossPairs(t, "", nil, map[string]string{"aeron.image.liveness.timeout": "2s"}, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pubC, subC := connectGo(t, ctx, pubD, subD)

		ch := fmt.Sprintf("aeron:udp?endpoint=%s:40460|term-length=64k", b.Addr())
		events := make(chan imageEvent, 16)
		handlers := client.WithImageHandlers(
			func(img *client.Image) { events <- imageEvent{true, img.SessionID()} },
			func(img *client.Image) { events <- imageEvent{false, img.SessionID()} })
		s1, err := subC.AddSubscription(ctx, ch, 1002, handlers)
		if err != nil {
			t.Fatal(err)
		}
		c1 := &collector{sub: s1}

		pub1, err := pubC.AddPublication(ctx, ch, 1002)
		if err != nil {
			t.Fatal(err)
		}
		waitConnected(t, pub1)
		waitEvent(t, events, imageEvent{true, pub1.SessionID()}, 10*time.Second)
		offerAll(t, pub1, "one", 0, 200)
		c1.pollUntil(t, 200, 20*time.Second)
		c1.expect(t, 0, 200, "one", 0)

		// A receiver joins late: it gets what is sent from then on.
		s2, err := subC.AddSubscription(ctx, ch, 1002)
		if err != nil {
			t.Fatal(err)
		}
		c2 := &collector{sub: s2}
		deadline := time.Now().Add(10 * time.Second)
		for s2.ImageCount() == 0 {
			if time.Now().After(deadline) {
				t.Fatal("late subscription got no image")
			}
			time.Sleep(5 * time.Millisecond)
		}
		offerAll(t, pub1, "one", 200, 200)
		c1.pollUntil(t, 400, 20*time.Second)
		c2.pollUntil(t, 200, 20*time.Second)
		c1.expect(t, 200, 400, "one", 200)
		c2.expect(t, 0, 200, "one", 200)

		// It leaves; the stream goes on for the first.
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		offerAll(t, pub1, "one", 400, 100)
		c1.pollUntil(t, 500, 20*time.Second)
		c1.expect(t, 400, 500, "one", 400)

		// The publisher goes with an end of stream and comes back as
		// a new session.
		first := pub1.SessionID()
		if err := pub1.Close(); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, events, imageEvent{false, first}, 20*time.Second)
		pub2, err := pubC.AddPublication(ctx, ch, 1002)
		if err != nil {
			t.Fatal(err)
		}
		if pub2.SessionID() == first {
			t.Fatalf("restarted publisher kept session %d", first)
		}
		waitConnected(t, pub2)
		waitEvent(t, events, imageEvent{true, pub2.SessionID()}, 10*time.Second)
		offerAll(t, pub2, "two", 0, 100)
		c1.pollUntil(t, 600, 20*time.Second)
		if s := c1.expect(t, 500, 600, "two", 0); s != pub2.SessionID() {
			t.Fatalf("second session's messages came from session %d, want %d", s, pub2.SessionID())
		}

		// Both drivers show the stream's positions as AeronStat reads
		// them.
		requireLabels(t, pubD, "snd-pos: ", "snd-lmt: ", "pub-lmt: ", "snd-channel: ", "snd-bpe: ", "snd-naks-received: ")
		requireLabels(t, subD, "rcv-hwm: ", "rcv-pos: ", "sub-pos: ", "rcv-channel: ", "rcv-naks-sent: ")

		// The publisher's driver dies: the image times out.
		_ = pubD.proc.Cmd.Process.Kill()
		waitEvent(t, events, imageEvent{false, pub2.SessionID()}, 20*time.Second)
		if s1.ImageCount() != 0 {
			t.Fatalf("%d images left after the publisher's driver died", s1.ImageCount())
		}
	})
}

func requireLabels(t *testing.T, d *netDriver, prefixes ...string) {
	t.Helper()
	labels := aeronjava.CounterLabels(t, d.dir)
	for _, p := range prefixes {
		found := false
		for _, l := range labels {
			found = found || strings.HasPrefix(l, p)
		}
		if !found {
			t.Errorf("%s driver has no %q counter among %q", d.kind, p, labels)
		}
	}
}

// TestCubicCongestionControl runs a cc=cubic subscription with RTT
// measurement on both drivers: the stream flows, and our receiver shows
// the RTT it measured and its window in the per-image counters.
func TestCubicCongestionControl(t *testing.T) {
	rtt := map[string]string{"aeron.CubicCongestionControl.measureRtt": "true"}
	acrossPairs(t, "", rtt, rtt, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		pubC, subC := connectGo(t, ctx, pubD, subD)
		ch := fmt.Sprintf("aeron:udp?endpoint=%s:40461|term-length=64k", b.Addr())
		s, err := subC.AddSubscription(ctx, ch+"|cc=cubic", 1003)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := pubC.AddPublication(ctx, ch, 1003)
		if err != nil {
			t.Fatal(err)
		}
		waitConnected(t, pub)
		c := &collector{sub: s}
		for round := 0; round < 5; round++ {
			offerAll(t, pub, "c", round*400, 400)
			c.pollUntil(t, (round+1)*400, 20*time.Second)
			time.Sleep(100 * time.Millisecond) // let RTT measurements happen
		}
		c.expect(t, 0, 2000, "c", 0)
		rttNs, hasRTT := aeronjava.CounterValue(t, subD.dir, "rcv-cc-cubic-rtt")
		wnd, hasWnd := aeronjava.CounterValue(t, subD.dir, "rcv-cc-cubic-wnd")
		t.Logf("%s receiver: cubic rtt %d ns (counter %v), window %d (counter %v)", subD.kind, rttNs, hasRTT, wnd, hasWnd)
		if subD.kind == bypassDriver && (!hasRTT || !hasWnd || wnd <= 0 || rttNs <= 0) {
			t.Fatalf("our receiver's cubic counters: rtt %d (%v), window %d (%v)", rttNs, hasRTT, wnd, hasWnd)
		}
	})
}

// TestRejectImage has a subscriber reject its image: the receiving driver
// sends ERR frames instead of status messages, and the publisher's client
// hears of it through its driver (ON_PUBLICATION_ERROR).
func TestRejectImage(t *testing.T) {
	acrossPairs(t, "", nil, nil, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		ch := fmt.Sprintf("aeron:udp?endpoint=%s:40462", b.Addr())
		sub := startJavaIn(t, subD, "Reject", "sub", ch, "1007", "30")
		sub.WaitOutput(t, "READY", 60*time.Second)
		pub := startJavaIn(t, pubD, "Reject", "pub", ch, "1007", "30")
		sub.WaitOutput(t, "REJECTED", 30*time.Second)
		if code := pub.ExitCode(t, 40*time.Second); code != 0 || !strings.Contains(pub.Output(), "ERROR FRAME code=13 message=not wanted here") {
			t.Fatalf("publisher exited %d:\n%s", code, pub.Output())
		}
		if subD.kind == bypassDriver {
			c := aeronjava.SystemCounters(t, subD.dir)
			if c["Images rejected"] != 1 || c["Error Frames sent"] == 0 {
				t.Fatalf("our receiver: images rejected %d, error frames sent %d", c["Images rejected"], c["Error Frames sent"])
			}
		}
		if pubD.kind == bypassDriver {
			if n := aeronjava.SystemCounters(t, pubD.dir)["Error Frames received"]; n == 0 {
				t.Fatal("our sender counted no error frame")
			}
		}
	})
}

// connectGo connects our Go client to each side's driver, closed when the
// test ends.
func connectGo(t *testing.T, ctx context.Context, pubD, subD *netDriver) (pubC, subC *client.Client) {
	t.Helper()
	var cs [2]*client.Client
	for i, d := range []*netDriver{pubD, subD} {
		c, err := client.Connect(ctx, client.Config{Dir: d.dir})
		if err != nil {
			t.Fatalf("connect to the %s driver on %s: %v", d.kind, d.host.Name, err)
		}
		t.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	return cs[0], cs[1]
}
