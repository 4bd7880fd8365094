package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestMain removes the driver binary the tests built once for all of them.
func TestMain(m *testing.M) {
	code := m.Run()
	aeronjava.RemoveBuilt()
	os.Exit(code)
}

// testDriver is a media driver the suite runs against.
type testDriver struct {
	name string
	// start runs a driver and returns its dir and a function that kills
	// it abruptly (nil when the driver cannot be killed that way).
	start func(t testing.TB) (dir string, kill func())
}

var drivers = []testDriver{
	{name: "java", start: func(t testing.TB) (string, func()) {
		dir := filepath.Join(t.TempDir(), "aeron")
		p := aeronjava.StartMediaDriver(t, dir, nil)
		return dir, p.Kill
	}},
	{name: "ours", start: func(t testing.TB) (string, func()) {
		cfg := config.Default()
		cfg.Dir = filepath.Join(t.TempDir(), "aeron")
		cfg.IpcTermBufferLength = 1 << 20
		cfg.TermBufferLength = 1 << 20
		e, err := LaunchEmbedded(cfg)
		if err != nil {
			t.Fatalf("launch our driver: %v", err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e.Dir(), nil
	}},
}

func forEachDriver(t *testing.T, fn func(t *testing.T, d testDriver)) {
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) { fn(t, d) })
	}
}

func connect(t testing.TB, dir string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{Dir: dir, DriverTimeout: 5 * time.Second, ErrorHandler: func(err error) { t.Logf("client error: %v", err) }}
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// pubSub adds a subscription and a publication on aeron:ipc and waits
// until they see each other.
func pubSub(t testing.TB, c *Client, stream int32, opts ...SubscriptionOption) (*Publication, *Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub, err := c.AddSubscription(ctx, "aeron:ipc", stream, opts...)
	if err != nil {
		t.Fatalf("add subscription: %v", err)
	}
	pub, err := c.AddPublication(ctx, "aeron:ipc", stream)
	if err != nil {
		t.Fatalf("add publication: %v", err)
	}
	// Aeron's Java driver reports an IPC publication connected a duty
	// cycle before it raises the publisher limit from zero: wait for both.
	waitFor(t, 10*time.Second, "publication and subscription connected", func() bool {
		return pub.IsConnected() && sub.IsConnected() && pub.PositionLimit() > 0
	})
	return pub, sub
}

func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// offer retries AdminAction and BackPressured for a bounded time.
func offer(t testing.TB, pub *Publication, msg []byte, poll func()) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := pub.Offer(msg)
		if r >= 0 {
			return r
		}
		if r != AdminAction && r != BackPressured {
			t.Fatalf("offer %d bytes: result %d", len(msg), r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("offer %d bytes: still %d after 10s", len(msg), r)
		}
		if poll != nil {
			poll()
		}
	}
}

func TestMessageIntegrity(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1001)
		mtu := pub.MaxPayloadLength()
		sizes := []int{0, 1, 31, 32, 100, mtu - 1, mtu, mtu + 1, 2*mtu + 17, 5*mtu + 3, 64 << 10}
		var got [][]byte
		asm := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, h *Header) {
			got = append(got, append([]byte(nil), buf.Bytes()[offset:offset+length]...))
		}, 0)
		poll := func() { sub.Poll(asm.Handler(), 10) }
		var want [][]byte
		for i, n := range sizes {
			msg := make([]byte, n)
			for j := range msg {
				msg[j] = byte(i*31 + j*7)
			}
			if n >= 4 {
				binary.LittleEndian.PutUint32(msg, uint32(i))
			}
			want = append(want, msg)
			if r := offer(t, pub, msg, poll); r <= 0 {
				t.Fatalf("offer %d: position %d", n, r)
			}
		}
		waitFor(t, 10*time.Second, "all messages", func() bool { poll(); return len(got) >= len(want) })
		if len(got) != len(want) {
			t.Fatalf("got %d messages, want %d", len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("message %d (%d bytes): got %d bytes, content differs", i, len(want[i]), len(got[i]))
			}
		}
		if img := sub.Images()[0]; img.Position() != pub.Position() {
			t.Fatalf("image position %d, publication position %d", img.Position(), pub.Position())
		}
		if r := pub.Offer(make([]byte, pub.MaxMessageLength()+1)); r != PublicationError {
			t.Fatalf("offer beyond max message length: %d, want PublicationError", r)
		}
	})
}

func TestTryClaim(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		concurrent, sub := pubSub(t, c, 1002)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		exclusive, err := c.AddExclusivePublication(ctx, "aeron:ipc", 1003)
		if err != nil {
			t.Fatal(err)
		}
		defer exclusive.Close()
		exclusiveSub, err := c.AddSubscription(ctx, "aeron:ipc", 1003)
		if err != nil {
			t.Fatal(err)
		}
		defer exclusiveSub.Close()
		waitFor(t, 5*time.Second, "exclusive publication connected", exclusive.IsConnected)
		for _, pair := range []struct {
			pub *Publication
			sub *Subscription
		}{{concurrent, sub}, {exclusive, exclusiveSub}} {
			tryClaim(t, pair.pub, pair.sub)
		}
	})
}

func tryClaim(t *testing.T, pub *Publication, sub *Subscription) {
	t.Helper()
	{
		var claim BufferClaim
		for i := range 3 {
			// A driver may report the publication connected a duty cycle
			// before it raises the limit (Aeron's Java driver does):
			// back pressure and admin actions are retried.
			r := pub.TryClaim(8, &claim)
			for deadline := time.Now().Add(5 * time.Second); (r == BackPressured || r == AdminAction) && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
				r = pub.TryClaim(8, &claim)
			}
			if r < 0 {
				t.Fatalf("try claim: %d", r)
			}
			claim.Buffer().PutInt64(0, int64(i))
			if i == 1 {
				claim.Abort()
			} else {
				claim.Commit()
			}
		}
		var got []int64
		waitFor(t, 5*time.Second, "claimed messages", func() bool {
			sub.Poll(func(buf shm.AtomicBuffer, offset, length int, h *Header) {
				got = append(got, buf.GetInt64(offset))
			}, 10)
			return len(got) >= 2
		})
		if len(got) != 2 || got[0] != 0 || got[1] != 2 {
			t.Fatalf("got %v, want [0 2] (1 aborted)", got)
		}
		if r := pub.TryClaim(pub.MaxPayloadLength()+1, &claim); r != PublicationError {
			t.Fatalf("claim beyond one frame: %d", r)
		}
	}
}

func TestBackPressure(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1003)
		msg := make([]byte, 1000)
		result, sent := int64(0), 0
		for i := 0; i < 10000; i++ {
			if result = pub.Offer(msg); result == BackPressured {
				break
			}
			sent++
		}
		if result != BackPressured || sent == 0 {
			t.Fatalf("slow subscriber: last offer %d after %d sent, want BackPressured after some", result, sent)
		}
		if pub.Position() < pub.PositionLimit() {
			t.Fatalf("back pressured below the limit: position %d limit %d", pub.Position(), pub.PositionLimit())
		}
		// Draining lets the publisher go on.
		count := 0
		waitFor(t, 10*time.Second, "offer after draining", func() bool {
			count += sub.Poll(func(shm.AtomicBuffer, int, int, *Header) {}, 100)
			return pub.Offer(msg) >= 0
		})
		if count == 0 {
			t.Fatal("nothing polled")
		}
	})
}

func TestImageUnavailableOnPublicationClose(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		var available, unavailable atomic.Int32
		pub, sub := pubSub(t, c, 1004, WithImageHandlers(
			func(img *Image) { available.Add(1) },
			func(img *Image) { unavailable.Add(1) }))
		// The handler runs just after the image is added, which is what
		// IsConnected sees.
		waitFor(t, 5*time.Second, "the available image handler", func() bool { return available.Load() >= 1 })
		if available.Load() != 1 {
			t.Fatalf("available images %d, want 1", available.Load())
		}
		img := sub.ImageBySessionID(pub.SessionID())
		if img == nil {
			t.Fatalf("no image for session %d", pub.SessionID())
		}
		if img.SourceIdentity() != "aeron:ipc" {
			t.Logf("source identity %q", img.SourceIdentity())
		}
		offer(t, pub, []byte("last words"), nil)
		if err := pub.Close(); err != nil {
			t.Fatalf("close publication: %v", err)
		}
		if r := pub.Offer([]byte("x")); r != Closed {
			t.Fatalf("offer after close: %d, want Closed", r)
		}
		waitFor(t, 20*time.Second, "image unavailable", func() bool {
			sub.Poll(func(shm.AtomicBuffer, int, int, *Header) {}, 10)
			return unavailable.Load() == 1
		})
		if !img.IsClosed() || sub.ImageCount() != 0 {
			t.Fatalf("image closed %v, images left %d", img.IsClosed(), sub.ImageCount())
		}
	})
}

func TestCloseWhilePolling(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1005)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var polled atomic.Int64
		wg.Add(2)
		go func() {
			defer wg.Done()
			// Bounded by time as well as count: an idle Poll takes
			// nanoseconds, and the other goroutine may start late.
			for i, deadline := 0, time.Now().Add(30*time.Second); i < 1e9 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				polled.Add(int64(sub.Poll(func(shm.AtomicBuffer, int, int, *Header) {}, 10)))
			}
		}()
		go func() {
			defer wg.Done()
			msg := make([]byte, 200)
			// Bounded by time as well as count: an idle Poll takes
			// nanoseconds, and the other goroutine may start late.
			for i, deadline := 0, time.Now().Add(30*time.Second); i < 1e9 && time.Now().Before(deadline); i++ {
				select {
				case <-stop:
					return
				default:
				}
				pub.Offer(msg)
			}
		}()
		waitFor(t, 10*time.Second, "messages flowing", func() bool { return polled.Load() > 100 })
		if err := c.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		if r := pub.Offer([]byte("x")); r != Closed {
			t.Fatalf("offer after client close: %d", r)
		}
		if n := sub.Poll(func(shm.AtomicBuffer, int, int, *Header) {}, 10); n != 0 {
			t.Fatalf("poll after client close: %d", n)
		}
		close(stop)
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.AddSubscription(ctx, "aeron:ipc", 1); !errors.Is(err, ErrClientClosed) {
			t.Fatalf("add subscription after close: %v", err)
		}
	})
}

func TestDriverTimeout(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, kill := d.start(t)
		if kill == nil {
			// The embedded driver cannot be killed abruptly; run ours as
			// a process of its own, as a deployment would.
			dir = filepath.Join(t.TempDir(), "aeron")
			kill = aeronjava.StartOurDriver(t, dir, nil).Kill
		}
		errs := make(chan error, 4)
		c := connect(t, dir, func(cfg *Config) {
			cfg.DriverTimeout = 2 * time.Second
			cfg.KeepaliveInterval = 100 * time.Millisecond
			cfg.ErrorHandler = func(err error) { errs <- err }
		})
		kill()
		start := time.Now()
		select {
		case err := <-errs:
			if !errors.Is(err, ErrDriverTimeout) {
				t.Fatalf("error %v, want driver timeout", err)
			}
			if el := time.Since(start); el > 2*time.Second+time.Second {
				t.Fatalf("driver timeout reported after %s", el)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no driver timeout reported within 10s")
		}
		if !c.IsClosed() {
			t.Fatal("client not closed after driver timeout")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.AddPublication(ctx, "aeron:ipc", 1); !errors.Is(err, ErrDriverTimeout) {
			t.Fatalf("add publication after driver timeout: %v", err)
		}
	})
}

func TestConnectWithoutDriver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Connect(ctx, Config{Dir: filepath.Join(t.TempDir(), "none")})
	if err == nil {
		t.Fatal("connected without a driver")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("connect took %s", el)
	}
}

func TestOfferV(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1006)
		long := bytes.Repeat([]byte("0123456789"), pub.MaxPayloadLength()/4)
		want := []string{"ab" + "cd" + "", string(long) + "tail"}
		offerV := func(bufs ...[]byte) {
			for range 100_000 {
				if r := pub.OfferV(bufs...); r >= 0 {
					return
				} else if r != AdminAction && r != BackPressured {
					t.Fatalf("offerV: %d", r)
				}
			}
			t.Fatal("offerV: no progress")
		}
		offerV([]byte("ab"), []byte("cd"), nil)
		offerV(long, []byte("tail"))
		var got []string
		asm := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
			got = append(got, string(buf.Bytes()[offset:offset+length]))
		}, 0)
		waitFor(t, 5*time.Second, "vectored messages", func() bool { sub.Poll(asm.Handler(), 10); return len(got) >= 2 })
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("got %d messages, first %q", len(got), got[0])
		}
		var msg [][]byte = [][]byte{[]byte("x"), []byte("y")}
		if n := testing.AllocsPerRun(100, func() {
			if pub.OfferV(msg...) < 0 {
				drain(sub)
			}
		}); n != 0 {
			t.Errorf("OfferV: %v allocs", n)
		}
	})
}

// The client keeps the heartbeat counter the driver allocated for it
// (type 11, registration id = client id) moving.
func TestClientHeartbeatCounter(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, func(cfg *Config) { cfg.KeepaliveInterval = 50 * time.Millisecond })
		// The driver allocates the counter with the client's first
		// resource (DriverConductor.getOrAddClient).
		pubSub(t, c, 1007)
		r := c.CountersReader()
		id := int32(-1)
		waitFor(t, 5*time.Second, "heartbeat counter", func() bool {
			id = r.FindByTypeIDAndRegistrationID(11, c.ClientID())
			return id >= 0
		})
		first := r.CounterValue(id)
		waitFor(t, 5*time.Second, "heartbeat advancing", func() bool { return r.CounterValue(id) > first })
	})
}

// Keepalives hold the client above the driver's liveness timeout.
func TestClientOutlivesLivenessTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aeron")
	aeronjava.StartMediaDriver(t, dir, map[string]string{"aeron.client.liveness.timeout": "2000000000"})
	c := connect(t, dir, nil)
	pub, sub := pubSub(t, c, 1008)
	time.Sleep(5 * time.Second)
	if c.IsClosed() {
		t.Fatal("client timed out by the driver")
	}
	offer(t, pub, []byte("alive"), nil)
	n := 0
	waitFor(t, 5*time.Second, "message after the liveness timeout", func() bool {
		n += sub.Poll(func(shm.AtomicBuffer, int, int, *Header) {}, 10)
		return n > 0
	})
}

func TestDriverErrorOnBadChannel(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.AddPublication(ctx, "aeron:nonsense", 1)
		var de *DriverError
		if !errors.As(err, &de) {
			t.Fatalf("add publication on a bad channel: %v, want a DriverError", err)
		}
		if de.Code != command.ErrInvalidChannel && de.Code != command.ErrGenericError {
			t.Fatalf("error code %d (%s)", de.Code, de.Message)
		}
		// The client stays usable.
		pubSub(t, c, 1009)
	})
}

func TestBlockPoll(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1013)
		var end int64
		for i := range 3 {
			end = offer(t, pub, []byte{byte(i), 1, 2}, nil)
		}
		var blocks, frames int
		var session int32
		got := 0
		waitFor(t, 5*time.Second, "block", func() bool {
			got += sub.BlockPoll(func(buf shm.AtomicBuffer, offset, length int, sessionID, termID int32) {
				blocks++
				session = sessionID
				for o := offset; o < offset+length; o += 64 {
					if buf.GetInt32(o) != 32+3 {
						t.Fatalf("frame length %d at %d", buf.GetInt32(o), o)
					}
					frames++
				}
			}, 1<<16)
			return got >= 3*64
		})
		if session != pub.SessionID() || frames != 3 || sub.Images()[0].Position() != end {
			t.Fatalf("blocks %d frames %d session %d position %d want %d", blocks, frames, session, sub.Images()[0].Position(), end)
		}
	})
}

func TestControlledPoll(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub, sub := pubSub(t, c, 1014)
		for i := range 4 {
			offer(t, pub, []byte{byte(i)}, nil)
		}
		var seen []byte
		aborted := false
		handler := func(buf shm.AtomicBuffer, offset, length int, _ *Header) ControlAction {
			v := buf.Bytes()[offset]
			if v == 1 && !aborted {
				aborted = true
				return Abort
			}
			seen = append(seen, v)
			if v == 2 {
				return Break
			}
			return Continue
		}
		waitFor(t, 5*time.Second, "first fragment", func() bool { sub.ControlledPoll(handler, 10); return len(seen) > 0 })
		if string(seen) != "\x00" {
			t.Fatalf("after abort: %v", seen)
		}
		sub.ControlledPoll(handler, 10)
		if string(seen) != "\x00\x01\x02" {
			t.Fatalf("after break: %v", seen)
		}
		sub.ControlledPoll(handler, 10)
		if string(seen) != "\x00\x01\x02\x03" {
			t.Fatalf("after the rest: %v", seen)
		}
	})
}

// Concurrent publications on one channel and stream share a log; closing
// one leaves the other publishing.
func TestSharedPublicationClose(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		pub1, sub := pubSub(t, c, 1015)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pub2, err := c.AddPublication(ctx, "aeron:ipc", 1015)
		if err != nil {
			t.Fatal(err)
		}
		if pub2.OriginalRegistrationID() != pub1.OriginalRegistrationID() || pub2.SessionID() != pub1.SessionID() {
			t.Fatalf("second publication has its own log: %d/%d", pub2.OriginalRegistrationID(), pub1.OriginalRegistrationID())
		}
		if err := pub1.Close(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		offer(t, pub2, []byte("still here"), nil)
		var got string
		waitFor(t, 5*time.Second, "message from the remaining publication", func() bool {
			sub.Poll(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
				got = string(buf.Bytes()[offset : offset+length])
			}, 10)
			return got != ""
		})
		if got != "still here" || !pub2.IsConnected() {
			t.Fatalf("got %q, connected %v", got, pub2.IsConnected())
		}
	})
}
