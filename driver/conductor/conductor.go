package conductor

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/agent"
	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/receiver"
	"github.com/aeron-bypass/aeron-bypass/driver/sender"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

// commandsPerCycle bounds the commands read per duty cycle, so timers and
// publications are serviced under a flood of commands.
const commandsPerCycle = 10

// Context is what the conductor works with.
type Context struct {
	Config   config.Config
	ToDriver shm.AtomicBuffer
	// ToClients is the broadcast buffer.
	ToClients shm.AtomicBuffer
	Counters  *counters.Manager
	System    *counters.SystemCounters
	Errors    *errorlog.DistinctLog
	Log       *slog.Logger
	// NanoClock is a monotonic clock in ns; EpochClock is wall time in ms.
	NanoClock  func() int64
	EpochClock func() int64
	// Terminate is called when a client asks the driver to stop and the
	// termination validator allows it.
	Terminate func()
	// Backend, Sender and Receiver carry network channels; without them
	// the driver serves IPC only and refuses aeron:udp with a reason.
	Backend  backend.Backend
	Sender   *sender.Sender
	Receiver *receiver.Receiver
}

// networkCheckIntervalNs paces the network publications' and images'
// lifecycle checks.
const networkCheckIntervalNs = int64(10e6)

// Conductor is the conductor agent.
type Conductor struct {
	ctx    Context
	cfg    config.Config
	ring   *ringbuffer.ManyToOne
	tx     *broadcast.Transmitter
	reader *counters.Reader
	log    *slog.Logger

	clients       map[int64]*client
	publications  []*ipcPublication
	subscriptions []*subscription
	nextSessionID int32

	sendEndpoints  map[string]*sendEndpoint
	recvEndpoints  map[string]*receiveEndpoint
	netPubs        []*networkPublication
	images         []*publicationImage
	imageRequests  agent.Queue[imageRequest]
	nextNetCheckNs int64

	handler     ringbuffer.Handler
	scratch     []byte
	nextTimerNs int64

	// Ring buffer liveness: a record a dead client left half-written
	// blocks the ring until unblocked.
	lastConsumerPosition int64
	lastConsumerChangeNs int64
}

// New builds a conductor over the cnc.dat sections in ctx.
func New(ctx Context) (*Conductor, error) {
	ring, err := ringbuffer.New(ctx.ToDriver)
	if err != nil {
		return nil, fmt.Errorf("conductor: %w", err)
	}
	tx, err := broadcast.NewTransmitter(ctx.ToClients)
	if err != nil {
		return nil, fmt.Errorf("conductor: %w", err)
	}
	if ctx.Log == nil {
		ctx.Log = slog.New(slog.DiscardHandler)
	}
	c := &Conductor{
		ctx:           ctx,
		cfg:           ctx.Config,
		ring:          ring,
		tx:            tx,
		reader:        ctx.Counters.Reader(),
		log:           ctx.Log,
		clients:       map[int64]*client{},
		sendEndpoints: map[string]*sendEndpoint{},
		recvEndpoints: map[string]*receiveEndpoint{},
		nextSessionID: rand.Int31(),
		scratch:       make([]byte, tx.MaxMsgLength()),
	}
	c.handler = c.onCommand
	now := ctx.NanoClock()
	c.nextTimerNs = now + int64(c.cfg.TimerInterval)
	c.lastConsumerChangeNs = now
	ring.SetConsumerHeartbeatTime(ctx.EpochClock())
	return c, nil
}

// RoleName implements agent.Agent.
func (c *Conductor) RoleName() string { return "driver-conductor" }

// DoWork reads commands, services publications and runs timers.
func (c *Conductor) DoWork() (int, error) {
	work := c.ring.Read(c.handler, commandsPerCycle)
	nowNs := c.ctx.NanoClock()
	for _, p := range c.publications {
		work += c.updatePublication(p, nowNs)
	}
	work += c.imageRequests.Drain(c.createImage)
	if c.ctx.Sender != nil {
		work += c.ctx.Sender.Errors.Drain(c.onPublicationError)
	}
	for _, p := range c.netPubs {
		work += c.updateNetworkPublication(p)
	}
	if nowNs >= c.nextNetCheckNs {
		c.nextNetCheckNs = nowNs + networkCheckIntervalNs
		work += c.checkNetworkPublications(nowNs)
		work += c.checkImages(nowNs)
	}
	if nowNs >= c.nextTimerNs {
		c.nextTimerNs = nowNs + int64(c.cfg.TimerInterval)
		work += c.onTimer(nowNs, c.ctx.EpochClock())
	}
	return work, nil
}

// OnClose tells clients the driver has gone and releases publications.
func (c *Conductor) OnClose() {
	// A heartbeat of -1 tells clients the driver shut down in order.
	c.ring.SetConsumerHeartbeatTime(-1)
	for _, p := range c.publications {
		p.close()
	}
	c.publications = nil
	// The sender and receiver have stopped before the conductor closes,
	// so the network logs can go.
	for _, p := range c.netPubs {
		p.log.Close()
		os.Remove(p.logPath)
	}
	c.netPubs = nil
	for _, pi := range c.images {
		pi.log.Close()
		os.Remove(pi.logPath)
	}
	c.images = nil
}

func (c *Conductor) onTimer(nowNs, nowMs int64) int {
	c.ring.SetConsumerHeartbeatTime(nowMs)
	work := c.checkClients(nowMs)
	work += c.checkPublications(nowNs)
	c.checkRing(nowNs)
	return work
}

// checkRing unblocks the command ring when a client died half-way through
// writing a command (aeron_driver_conductor_on_check_for_blocked_driver_commands).
func (c *Conductor) checkRing(nowNs int64) {
	consumer := c.ring.ConsumerPosition()
	if consumer != c.lastConsumerPosition {
		c.lastConsumerPosition, c.lastConsumerChangeNs = consumer, nowNs
		return
	}
	if c.ring.ProducerPosition() > consumer && nowNs-c.lastConsumerChangeNs > int64(c.cfg.ClientLivenessTimeout) {
		if c.ring.Unblock() {
			c.ctx.System.UnblockedCommands.Increment()
			c.recordError(command.ErrGenericError, "unblocked the command ring buffer after a client stopped mid-command")
		}
		c.lastConsumerChangeNs = nowNs
	}
}

// recordError counts an error and writes it to the distinct error log.
func (c *Conductor) recordError(code command.ErrorCode, msg string) {
	c.ctx.System.Errors.Increment()
	if c.ctx.Errors != nil {
		c.ctx.Errors.Record(int32(code), msg)
	}
	c.log.Warn("conductor error", "code", code.String(), "error", msg)
}

// transmit broadcasts a response; a response too large for the buffer is
// an error in the driver, recorded, never a crash.
func (c *Conductor) transmit(typ int32, n int, err error) {
	if err != nil {
		c.recordError(command.ErrGenericError, fmt.Sprintf("encode response 0x%x: %v", typ, err))
		return
	}
	if err := c.tx.Transmit(typ, c.scratch[:n]); err != nil {
		c.recordError(command.ErrGenericError, fmt.Sprintf("broadcast response 0x%x: %v", typ, err))
	}
}

// sendError answers a command with ON_ERROR and records it.
func (c *Conductor) sendError(correlationID int64, code command.ErrorCode, msg string) {
	c.recordError(code, msg)
	n, err := command.EncodeError(c.scratch, correlationID, code, msg)
	c.transmit(command.OnError, n, err)
}

// errorCode maps an error to the Aeron code sent with it.
func errorCode(err error) command.ErrorCode {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return command.ErrGenericError
}

type codedError struct {
	code command.ErrorCode
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func coded(code command.ErrorCode, format string, args ...any) error {
	return &codedError{code: code, err: fmt.Errorf(format, args...)}
}

func (c *Conductor) publicationsDir() string { return filepath.Join(c.cfg.Dir, "publications") }

// nowMs is the epoch clock, for counters that hold timestamps.
func (c *Conductor) nowMs() int64 { return c.ctx.EpochClock() }
