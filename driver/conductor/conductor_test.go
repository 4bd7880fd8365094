package conductor

import (
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

// rig is a conductor over in-memory cnc sections with a hand-driven clock,
// and the client side of the ring and broadcast buffers.
type rig struct {
	t      testing.TB
	c      *Conductor
	ring   *ringbuffer.ManyToOne
	rx     *broadcast.CopyReceiver
	reader *counters.Reader
	nowNs  int64
	buf    []byte
}

type response struct {
	typ  int32
	body []byte
}

func newRig(t testing.TB) *rig {
	t.Helper()
	cfg := config.Default()
	cfg.Dir = t.TempDir()
	cfg.IpcTermBufferLength = 64 * 1024
	cfg.ClientLivenessTimeout = 2 * time.Second
	cfg.PublicationLingerTimeout = 100 * time.Millisecond
	toDriver := shm.NewAtomicBuffer(make([]byte, 64*1024+ringbuffer.TrailerLength))
	toClients := shm.NewAtomicBuffer(make([]byte, 64*1024+broadcast.TrailerLength))
	meta := shm.NewAtomicBuffer(make([]byte, 1024*counters.MetadataLength))
	values := shm.NewAtomicBuffer(make([]byte, 1024*counters.ValueLength))
	r := &rig{t: t, nowNs: 1_000_000_000, buf: make([]byte, 4096)}
	epoch := func() int64 { return r.nowNs / 1e6 }
	mgr := counters.NewManager(meta, values, epoch, 0)
	sys, err := counters.AllocateSystemCounters(mgr, "test", "none", 0, 1, 0, "SHARED", "100ms")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Context{Config: cfg, ToDriver: toDriver, ToClients: toClients, Counters: mgr, System: sys,
		Errors:    errorlog.New(shm.NewAtomicBuffer(make([]byte, 64*1024)), epoch),
		NanoClock: func() int64 { return r.nowNs }, EpochClock: epoch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.OnClose)
	r.c = c
	r.ring, _ = ringbuffer.New(toDriver)
	brx, _ := broadcast.NewReceiver(toClients)
	r.rx = broadcast.NewCopyReceiver(brx)
	r.reader = mgr.Reader()
	return r
}

// send writes a command encoded into r.buf: r.send(type)(encoder(...)).
func (r *rig) send(typ int32) func(int, error) {
	return func(n int, err error) {
		r.t.Helper()
		if err != nil || !r.ring.Write(typ, r.buf[:n]) {
			r.t.Fatalf("write command 0x%x: %v", typ, err)
		}
	}
}

// work runs duty cycles and collects the responses.
func (r *rig) work() []response {
	r.t.Helper()
	var out []response
	for i := 0; i < 20; i++ {
		if _, err := r.c.DoWork(); err != nil {
			r.t.Fatal(err)
		}
	}
	for {
		n, err := r.rx.Receive(func(typ int32, b []byte) { out = append(out, response{typ, append([]byte(nil), b...)}) })
		if err != nil {
			r.t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

func (r *rig) advance(d time.Duration) []response {
	r.nowNs += int64(d)
	return r.work()
}

func types(rs []response) []int32 {
	var t []int32
	for _, x := range rs {
		t = append(t, x.typ)
	}
	return t
}

func find(t *testing.T, rs []response, typ int32) []byte {
	t.Helper()
	for _, x := range rs {
		if x.typ == typ {
			return x.body
		}
	}
	t.Fatalf("no response 0x%x in %x", typ, types(rs))
	return nil
}

func TestPublicationSubscriptionAndMessages(t *testing.T) {
	r := newRig(t)
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 1, 10, 1001, "aeron:ipc"))
	rs := r.work()
	if got := types(rs); len(got) != 2 || got[0] != command.OnCounterReady || got[1] != command.OnSubscriptionReady {
		t.Fatalf("responses %x", got)
	}
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 2, 11, 1001, "aeron:ipc?term-length=64k"))
	rs = r.work()
	ready, err := command.DecodePublicationReady(find(t, rs, command.OnPublicationReady))
	if err != nil || ready.RegistrationID != 11 || ready.StreamID != 1001 {
		t.Fatalf("%+v %v", ready, err)
	}
	image, err := command.DecodeAvailableImage(find(t, rs, command.OnAvailableImage))
	if err != nil || image.SubscriptionRegistrationID != 10 || string(image.SourceIdentity) != "aeron:ipc" || string(image.LogFileName) != string(ready.LogFileName) {
		t.Fatalf("%+v %v", image, err)
	}
	log, err := logbuffer.MapLog(string(ready.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if !logbuffer.IsConnected(log.Meta()) || logbuffer.MTULength(log.Meta()) != 1408 {
		t.Fatal("log metadata")
	}
	// The publisher may write up to the limit, which follows the
	// subscriber: half a term ahead of it.
	if lmt := r.reader.CounterValue(ready.PositionLimitCounterID); lmt != 32*1024 {
		t.Fatalf("publisher limit %d", lmt)
	}
	app := logbuffer.NewAppender(log)
	var pos int64
	for i := 0; i < 100; i++ {
		if pos = app.Append(make([]byte, 100), 0); pos < 0 {
			t.Fatalf("append %d", pos)
		}
	}
	r.work()
	r.c.counterSet(image.SubscriberPositionID, pos)
	r.work()
	if lmt := r.reader.CounterValue(ready.PositionLimitCounterID); lmt != pos+32*1024 {
		t.Fatalf("limit %d after the subscriber reached %d", lmt, pos)
	}
	// Closing the publication ends the stream: end of stream, image gone.
	r.send(command.RemovePublication)(command.EncodeRemovePublication(r.buf, 2, 12, 11, 0))
	rs = r.advance(2 * time.Second)
	find(t, rs, command.OnOperationSuccess)
	find(t, rs, command.OnUnavailableImage)
	if logbuffer.EndOfStreamPosition(log.Meta()) != pos {
		t.Fatalf("end of stream %d, want %d", logbuffer.EndOfStreamPosition(log.Meta()), pos)
	}
}

// counterSet moves a counter as a client would.
func (c *Conductor) counterSet(id int32, v int64) { c.ctx.Counters.Counter(id).Set(v) }

func TestClientTimeoutReleasesEverything(t *testing.T) {
	r := newRig(t)
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 7, 20, 5, "aeron:ipc"))
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 7, 21, 5, "aeron:ipc"))
	r.send(command.AddCounter)(command.EncodeAddCounter(r.buf, 7, 22, 1001, nil, "user"))
	r.work()
	before := 0
	r.reader.ForEach(func(int32, int32, []byte, string) { before++ })
	rs := r.advance(5 * time.Second)
	if id, err := command.DecodeClientTimeout(find(t, rs, command.OnClientTimeout)); err != nil || id != 7 {
		t.Fatalf("timeout for %d: %v", id, err)
	}
	r.advance(time.Second)
	after := 0
	r.reader.ForEach(func(int32, int32, []byte, string) { after++ })
	// heartbeat, pub-pos, pub-lmt, sub-pos and the user counter are gone.
	if before-after != 5 {
		t.Fatalf("%d counters before, %d after", before, after)
	}
	if r.reader.CounterValue(counters.ClientTimeoutsID) != 1 {
		t.Fatal("client timeouts counter")
	}
}

func TestErrors(t *testing.T) {
	r := newRig(t)
	r.send(command.RemovePublication)(command.EncodeRemovePublication(r.buf, 1, 200, 999, 0))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrUnknownPublication {
		t.Fatalf("remove unknown publication: %+v", e)
	}
	r.send(command.RemoveSubscription)(command.EncodeRemoveSubscription(r.buf, 1, 201, 999))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrUnknownSubscription {
		t.Fatalf("remove unknown subscription: %+v", e)
	}
	r.send(0x77)(command.EncodeClientKeepalive(r.buf, 1, 202))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrUnknownCommandTypeID {
		t.Fatalf("unknown command: %+v", e)
	}
	// A command too short to carry its fields.
	n, _ := command.EncodeClientKeepalive(r.buf, 1, 203)
	r.send(command.AddPublication)(n, nil)
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); e.Code != command.ErrMalformedCommand || e.OffendingCorrelationID != 203 {
		t.Fatalf("malformed: %+v", e)
	}
}

func TestSharedAndExclusivePublications(t *testing.T) {
	r := newRig(t)
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 30, 9, "aeron:ipc"))
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 2, 31, 9, "aeron:ipc"))
	r.send(command.AddExclusivePublication)(command.EncodeAddExclusivePublication(r.buf, 2, 32, 9, "aeron:ipc?session-id=5000"))
	rs := r.work()
	var regs []int64
	var sessions []int32
	for _, x := range rs {
		if x.typ == command.OnPublicationReady || x.typ == command.OnExclusivePublicationReady {
			p, _ := command.DecodePublicationReady(x.body)
			regs = append(regs, p.RegistrationID)
			sessions = append(sessions, p.SessionID)
		}
	}
	if len(regs) != 3 || regs[0] != 30 || regs[1] != 30 || regs[2] != 32 || sessions[2] != 5000 || sessions[0] == 5000 {
		t.Fatalf("registrations %v sessions %v", regs, sessions)
	}
	r.send(command.AddExclusivePublication)(command.EncodeAddExclusivePublication(r.buf, 2, 33, 9, "aeron:ipc?session-id=5000"))
	if e, _ := command.DecodeError(find(t, r.work(), command.OnError)); !strings.Contains(string(e.Message), "clashing session-id") {
		t.Fatalf("clashing session: %q", e.Message)
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	r := newRig(t)
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 40, 9, "aeron:ipc"))
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 1, 41, 9, "aeron:ipc"))
	r.work()
	keepalive, _ := command.EncodeClientKeepalive(make([]byte, 16), 1, 42)
	msg := r.buf[:keepalive]
	if n := testing.AllocsPerRun(1000, func() {
		r.ring.Write(command.ClientKeepalive, msg)
		r.nowNs += int64(time.Millisecond)
		_, _ = r.c.DoWork()
	}); n != 0 {
		t.Fatalf("%v allocations per duty cycle", n)
	}
}

// The space behind the subscriber is cleaned all the way, term after term,
// however far the subscriber moved since the last duty cycle: a skipped
// stretch would hold old frames where the publisher writes next.
func TestCleaningKeepsUpWithTheSubscriber(t *testing.T) {
	r := newRig(t)
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 1, 50, 3, "aeron:ipc"))
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 51, 3, "aeron:ipc?term-length=64k"))
	rs := r.work()
	ready, _ := command.DecodePublicationReady(find(t, rs, command.OnPublicationReady))
	image, _ := command.DecodeAvailableImage(find(t, rs, command.OnAvailableImage))
	log, err := logbuffer.MapLog(string(ready.LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	app := logbuffer.NewAppender(log)
	msg := make([]byte, 1000)
	for round := 0; round < 40; round++ {
		limit := r.reader.CounterValue(ready.PositionLimitCounterID)
		pos := logbuffer.ProducerPosition(log.Meta())
		for pos+1100 < limit {
			if p := app.Append(msg, 0); p > 0 {
				pos = p
			}
		}
		r.c.counterSet(image.SubscriberPositionID, pos)
		r.work()
		if got := r.c.publications[0].cleanPosition; got != pos {
			t.Fatalf("round %d: cleaned to %d, subscriber at %d", round, got, pos)
		}
	}
}
