package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/agent"
	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

// Config is the client's configuration, named after Aeron.Context.
type Config struct {
	// Dir is aeron.dir: AERON_DIR, else /dev/shm/aeron-$USER.
	Dir string
	// DriverTimeout is how long the driver may go without a heartbeat
	// before the client gives up on it (aeron.driver.timeout, 10s).
	DriverTimeout time.Duration
	// KeepaliveInterval is how often the client proves it is alive (500ms).
	KeepaliveInterval time.Duration
	// ResourceLingerDuration is how long a closed image's log stays mapped
	// so a poll in progress finishes safely (3s).
	ResourceLingerDuration time.Duration
	// IdleStrategy idles the conductor goroutine. By default it sleeps
	// 16 ms between duty cycles, as Aeron's clients do
	// (aeron.client.idle.sleep.duration), 1 ms while a request awaits
	// the driver's answer, and wakes at once when a request is sent: an
	// application's spinning goroutines then share the CPU with few
	// wake-ups.
	IdleStrategy agent.IdleStrategy
	// ErrorHandler receives asynchronous errors: driver timeout, client
	// timeout, errors for commands nobody waits for. Default: ignore.
	ErrorHandler func(error)
	// OnAvailableImage and OnUnavailableImage are the defaults for
	// subscriptions added without their own handlers (see
	// WithImageHandlers for where they run).
	OnAvailableImage   func(*Image)
	OnUnavailableImage func(*Image)
	// ClientName (at most MaxClientNameLength bytes) is appended to the
	// label of the client's heartbeat counter in cnc.dat with the
	// library's version, as Aeron's clients do (aeron.client.name).
	ClientName string
	// UseInvoker leaves the conductor to the application, which calls
	// DoWork (Aeron's useConductorAgentInvoker).
	UseInvoker bool
}

// DefaultDir is Aeron's default aeron.dir: AERON_DIR, else
// /dev/shm/aeron-$USER (CommonContext.java).
func DefaultDir() string {
	if d := os.Getenv("AERON_DIR"); d != "" {
		return d
	}
	user := os.Getenv("USER")
	if user == "" {
		user = "default"
	}
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, "aeron-"+user)
}

func (c *Config) defaults() {
	if c.Dir == "" {
		c.Dir = DefaultDir()
	}
	if c.DriverTimeout <= 0 {
		c.DriverTimeout = 10 * time.Second
	}
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = 500 * time.Millisecond
	}
	if c.ResourceLingerDuration <= 0 {
		c.ResourceLingerDuration = 3 * time.Second
	}
	if c.ErrorHandler == nil {
		c.ErrorHandler = func(error) {}
	}
}

// Client is a connection to a media driver.
type Client struct {
	cfg      Config
	cncFile  *cnc.File
	toDriver *ringbuffer.ManyToOne
	toClient *broadcast.CopyReceiver
	reader   *counters.Reader
	values   shm.AtomicBuffer
	clientID int64

	// mu guards everything below and the command buffer: the conductor
	// and application goroutines both send commands and update state.
	mu            sync.Mutex
	cmd           [4096]byte
	pending       map[int64]*pending
	pubs          map[int64]*publicationLog
	subs          map[int64]*Subscription
	counters      map[int64]*Counter // by registration id
	lingering     []lingerLog
	heartbeatID   int32
	labelled      bool // the heartbeat counter's label names the client
	lastKeepalive time.Time
	closed        bool
	failure       error

	onBroadcast func(int32, []byte)
	stop        chan struct{}
	done        chan struct{}
	// wake cuts the conductor's idle sleep short when a request is sent;
	// awaiting is how many requests await an answer, as of the last duty
	// cycle.
	wake      chan struct{}
	awaiting  atomic.Int32
	closeOnce sync.Once
}

type pending struct {
	done chan struct{}
	typ  int32
	data []byte
	err  error
}

type lingerLog struct {
	log      *logbuffer.LogBuffers
	users    []*guard
	deadline time.Time
}

// guard lets a closer wait for calls in progress on a mapped log (Offer,
// Poll) before unmapping it: users count themselves in, then check closed.
type guard struct {
	closed atomic.Bool
	active atomic.Int32
}

func (g *guard) enter() bool {
	g.active.Add(1)
	if g.closed.Load() {
		g.active.Add(-1)
		return false
	}
	return true
}

func (g *guard) leave() { g.active.Add(-1) }

// waitIdle waits up to a second for calls in progress to return.
func (g *guard) waitIdle() {
	for n := 0; n < 1000 && g.active.Load() > 0; n++ {
		time.Sleep(time.Millisecond)
	}
}

func idle(users []*guard) bool {
	for _, g := range users {
		if g.active.Load() > 0 {
			return false
		}
	}
	return true
}

// publicationLog is one mapped log shared by publications with the same
// registration id, as Aeron's client shares concurrent publications.
type publicationLog struct {
	log   *logbuffer.LogBuffers
	users []*guard
}

// Connect opens the driver's cnc.dat in cfg.Dir, checks the driver is
// alive and starts the client conductor. ctx bounds the wait for cnc.dat.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	cfg.defaults()
	if len(cfg.ClientName) > MaxClientNameLength {
		return nil, fmt.Errorf("connect: client name of %d bytes, at most %d", len(cfg.ClientName), MaxClientNameLength)
	}
	wait := cfg.DriverTimeout
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl))
	}
	f, err := cnc.OpenTimeout(cfg.Dir, max(wait, 0))
	if err != nil {
		return nil, fmt.Errorf("connect to driver in %s: %w", cfg.Dir, err)
	}
	c, err := newClient(ctx, cfg, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return c, nil
}

func newClient(ctx context.Context, cfg Config, f *cnc.File) (*Client, error) {
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		return nil, fmt.Errorf("to-driver ring in %s: %w", f.Path(), err)
	}
	rcv, err := broadcast.NewReceiver(f.ToClients())
	if err != nil {
		return nil, fmt.Errorf("to-clients broadcast in %s: %w", f.Path(), err)
	}
	c := &Client{
		cfg: cfg, cncFile: f, toDriver: ring, toClient: broadcast.NewCopyReceiver(rcv),
		reader: counters.NewReader(f.CountersMetadata(), f.CountersValues()), values: f.CountersValues(),
		pending: map[int64]*pending{}, pubs: map[int64]*publicationLog{}, subs: map[int64]*Subscription{},
		counters:    map[int64]*Counter{},
		heartbeatID: counters.NullCounterID,
		stop:        make(chan struct{}), done: make(chan struct{}), wake: make(chan struct{}, 1),
	}
	c.onBroadcast = c.handleResponse
	// A driver that is not heartbeating is dead or stopped: fail now
	// rather than on the first command (ClientConductor's driver check).
	if err := c.checkDriverHeartbeat(time.Now()); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	c.clientID = ring.NextCorrelationID()
	c.mu.Lock()
	c.sendKeepalive(time.Now())
	c.mu.Unlock()
	if cfg.UseInvoker {
		close(c.done)
	} else {
		go c.run()
	}
	return c, nil
}

// ClientID is the id the driver knows this client by.
func (c *Client) ClientID() int64 { return c.clientID }

// Dir is the driver's directory.
func (c *Client) Dir() string { return c.cfg.Dir }

// CncFile is the mapped cnc.dat, for tools.
func (c *Client) CncFile() *cnc.File { return c.cncFile }

// Idle periods of the conductor goroutine with the default idle strategy.
const (
	idleSleep     = 16 * time.Millisecond
	awaitingSleep = time.Millisecond
)

func (c *Client) run() {
	defer close(c.done)
	timer := time.NewTimer(idleSleep)
	defer timer.Stop()
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, err := c.DoWork()
		if err != nil {
			return
		}
		switch {
		case c.cfg.IdleStrategy != nil:
			c.cfg.IdleStrategy.Idle(n)
		case n == 0:
			c.sleep(timer)
		}
	}
}

// sleep is the default idle strategy: idleSleep, or awaitingSleep while a
// request awaits its answer, cut short by a request sent or by Close.
func (c *Client) sleep(timer *time.Timer) {
	d := idleSleep
	if c.awaiting.Load() > 0 {
		d = awaitingSleep
	}
	timer.Reset(d)
	select {
	case <-c.stop:
	case <-c.wake:
	case <-timer.C:
	}
}

// DoWork runs one duty cycle of the conductor: responses from the driver,
// keepalives, driver liveness, lingering resources. Call it in a loop in
// invoker mode; in agent mode the client's goroutine calls it.
func (c *Client) DoWork() (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { c.awaiting.Store(int32(len(c.pending))) }()
	if c.closed {
		if c.failure != nil {
			return 0, c.failure
		}
		return 0, ErrClientClosed
	}
	return c.doWorkLocked()
}

func (c *Client) doWorkLocked() (int, error) {
	n, err := c.toClient.Receive(c.onBroadcast)
	if err != nil {
		// Lapped: responses were lost, so the client cannot trust its
		// state any more (ClientConductor treats this as fatal).
		c.failLocked(fmt.Errorf("to-clients broadcast: %w", err))
		return n, err
	}
	if c.closed {
		return n, c.failure
	}
	now := time.Now()
	if now.Sub(c.lastKeepalive) >= c.cfg.KeepaliveInterval {
		if err := c.checkDriverHeartbeat(now); err != nil {
			c.failLocked(err)
			return n, err
		}
		c.sendKeepalive(now)
		n++
	}
	if len(c.lingering) > 0 {
		kept := c.lingering[:0]
		for _, l := range c.lingering {
			if now.After(l.deadline) && idle(l.users) {
				_ = l.log.Close()
				n++
			} else {
				kept = append(kept, l)
			}
		}
		c.lingering = kept
	}
	return n, nil
}

func (c *Client) checkDriverHeartbeat(now time.Time) error {
	hb := c.toDriver.ConsumerHeartbeatTime()
	if age := now.UnixMilli() - hb; age > c.cfg.DriverTimeout.Milliseconds() {
		return fmt.Errorf("%w: no heartbeat from the driver in %s for %dms (limit %s)", ErrDriverTimeout, c.cfg.Dir, age, c.cfg.DriverTimeout)
	}
	return nil
}

// sendKeepalive updates the heartbeat counter the driver allocated for us
// (type 11, registration id = client id, §6), or sends CLIENT_KEEPALIVE
// while that counter is not known (ClientConductor.onHeartbeatCheckTimeouts).
func (c *Client) sendKeepalive(now time.Time) {
	c.lastKeepalive = now
	if c.heartbeatID == counters.NullCounterID {
		c.heartbeatID = c.reader.FindByTypeIDAndRegistrationID(counters.TypeClientHeartbeat, c.clientID)
		if c.heartbeatID != counters.NullCounterID && !c.labelled {
			// Name the client in its heartbeat counter's label, as
			// Aeron's clients do, for AeronStat and the driver's logs.
			c.labelled = true
			_, _ = counters.AppendToLabel(c.cncFile.CountersMetadata(), c.heartbeatID, " name="+c.cfg.ClientName+" "+versionInfo())
		}
	}
	if c.heartbeatID != counters.NullCounterID && c.reader.CounterState(c.heartbeatID) == counters.StateAllocated {
		c.values.PutInt64Ordered(int(c.heartbeatID)*counters.ValueLength, now.UnixMilli())
		return
	}
	c.heartbeatID = counters.NullCounterID
	if n, err := command.EncodeClientKeepalive(c.cmd[:], c.clientID, 0); err == nil {
		c.toDriver.Write(command.ClientKeepalive, c.cmd[:n])
	}
}

// failLocked closes the client after a fatal condition and reports it.
func (c *Client) failLocked(err error) {
	if c.closed {
		return
	}
	c.failure = err
	c.closeResourcesLocked()
	go c.cfg.ErrorHandler(err)
}

// closeResourcesLocked marks every resource closed and fails every waiter.
func (c *Client) closeResourcesLocked() {
	c.closed = true
	for id, p := range c.pending {
		p.err = ErrClientClosed
		if c.failure != nil {
			p.err = c.failure
		}
		close(p.done)
		delete(c.pending, id)
	}
	for _, s := range c.subs {
		s.closeLocked()
	}
	for _, pl := range c.pubs {
		c.lingerLocked(pl.log, pl.users...)
	}
	for _, cn := range c.counters {
		cn.closed.Store(true)
	}
	c.counters = map[int64]*Counter{}
	c.pubs = map[int64]*publicationLog{}
}

// lingerLocked closes users and unmaps l once the linger time has passed
// and no call is using it any more.
func (c *Client) lingerLocked(l *logbuffer.LogBuffers, users ...*guard) {
	for _, g := range users {
		g.closed.Store(true)
	}
	c.lingering = append(c.lingering, lingerLog{log: l, users: users, deadline: time.Now().Add(c.cfg.ResourceLingerDuration)})
}

// Close tells the driver the client is leaving (CLIENT_CLOSE), closes every
// publication and subscription and unmaps everything. Polls running on
// other goroutines see closed images and return 0. Idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		if !c.closed {
			if n, err := command.EncodeClientClose(c.cmd[:], c.clientID, c.toDriver.NextCorrelationID()); err == nil {
				c.toDriver.Write(command.ClientClose, c.cmd[:n])
			}
			c.closeResourcesLocked()
		}
		c.mu.Unlock()
		close(c.stop)
		<-c.done
		c.mu.Lock()
		for _, l := range c.lingering {
			for _, g := range l.users {
				g.waitIdle()
			}
			_ = l.log.Close()
		}
		c.lingering = nil
		c.mu.Unlock()
		_ = c.cncFile.Close()
	})
	return nil
}

// IsClosed reports whether the client was closed or failed.
func (c *Client) IsClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// send writes a command under c.mu and registers a waiter for its
// correlation id.
func (c *Client) send(typ int32, encode func(dst []byte, correlationID int64) (int, error)) (*pending, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		if c.failure != nil {
			return nil, 0, c.failure
		}
		return nil, 0, ErrClientClosed
	}
	corr := c.toDriver.NextCorrelationID()
	n, err := encode(c.cmd[:], corr)
	if err != nil {
		return nil, 0, fmt.Errorf("encode %s: %w", command.CommandName(typ), err)
	}
	p := &pending{done: make(chan struct{})}
	c.pending[corr] = p
	if !c.toDriver.Write(typ, c.cmd[:n]) {
		delete(c.pending, corr)
		return nil, 0, fmt.Errorf("send %s: to-driver ring buffer full", command.CommandName(typ))
	}
	c.awaiting.Store(int32(len(c.pending)))
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return p, corr, nil
}

// await waits for the response to corr, driving the conductor itself in
// invoker mode. It is bounded by ctx and the driver timeout.
func (c *Client) await(ctx context.Context, p *pending, corr int64) error {
	deadline := time.NewTimer(c.cfg.DriverTimeout)
	defer deadline.Stop()
	var tick <-chan time.Time
	if c.cfg.UseInvoker {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-p.done:
			return p.err
		case <-ctx.Done():
			c.forget(corr)
			return fmt.Errorf("await driver response %d: %w", corr, ctx.Err())
		case <-deadline.C:
			c.forget(corr)
			return fmt.Errorf("await driver response %d: %w", corr, ErrDriverTimeout)
		case <-tick:
			if _, err := c.DoWork(); err != nil && !errors.Is(err, ErrClientClosed) {
				return err
			}
		}
	}
}

func (c *Client) forget(corr int64) {
	c.mu.Lock()
	delete(c.pending, corr)
	c.mu.Unlock()
}

// handleResponse runs under c.mu for each broadcast message.
func (c *Client) handleResponse(typ int32, buf []byte) {
	switch typ {
	case command.OnError:
		e, err := command.DecodeError(buf)
		if err != nil {
			return
		}
		de := &DriverError{Code: e.Code, Message: string(e.Message)}
		if p, ok := c.pending[e.OffendingCorrelationID]; ok {
			p.err = de
			close(p.done)
			delete(c.pending, e.OffendingCorrelationID)
		}
	case command.OnPublicationReady, command.OnExclusivePublicationReady, command.OnSubscriptionReady, command.OnOperationSuccess, command.OnCounterReady:
		if len(buf) < 8 {
			return
		}
		corr := int64(uint64(buf[0]) | uint64(buf[1])<<8 | uint64(buf[2])<<16 | uint64(buf[3])<<24 |
			uint64(buf[4])<<32 | uint64(buf[5])<<40 | uint64(buf[6])<<48 | uint64(buf[7])<<56)
		if p, ok := c.pending[corr]; ok {
			p.typ = typ
			p.data = append([]byte(nil), buf...)
			close(p.done)
			delete(c.pending, corr)
		}
	case command.OnAvailableImage:
		m, err := command.DecodeAvailableImage(buf)
		if err != nil {
			return
		}
		if s, ok := c.subs[m.SubscriptionRegistrationID]; ok {
			c.addImageLocked(s, m)
		}
	case command.OnUnavailableImage:
		m, err := command.DecodeUnavailableImage(buf)
		if err != nil {
			return
		}
		if s, ok := c.subs[m.SubscriptionRegistrationID]; ok {
			s.removeImageLocked(m.CorrelationID)
		}
	case command.OnUnavailableCounter:
		u, err := command.DecodeCounterUpdate(buf)
		if err != nil {
			return
		}
		if cn, ok := c.counters[u.CorrelationID]; ok {
			cn.closed.Store(true)
			delete(c.counters, u.CorrelationID)
		}
	case command.OnClientTimeout:
		id, err := command.DecodeClientTimeout(buf)
		if err == nil && id == c.clientID {
			c.failLocked(ErrClientTimeout)
		}
	}
}

func (c *Client) addImageLocked(s *Subscription, m command.ImageBuffersReady) {
	log, err := logbuffer.MapLog(string(m.LogFileName))
	if err != nil {
		go c.cfg.ErrorHandler(fmt.Errorf("map image log %s: %w", m.LogFileName, err))
		return
	}
	img := newImage(s, log, m, c.values)
	s.addImageLocked(img)
}
