package driver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/loss"
	"github.com/aeron-bypass/aeron-bypass/driver/agent"
	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/conductor"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/receiver"
	"github.com/aeron-bypass/aeron-bypass/driver/sender"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// Option changes how New builds a Driver.
type Option func(*options)

type options struct {
	logger  *slog.Logger
	backend backend.Backend
}

// Version is this driver's version, shown in the "Aeron software" and
// "Errors" system counters.
var Version = "0.1.0"

// WithLogger sends the driver's log to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithBackend uses b instead of probing (tests, embedders).
func WithBackend(b backend.Backend) Option { return func(o *options) { o.backend = b } }

// Driver is a media driver instance.
type Driver struct {
	cfg     config.Config
	log     *slog.Logger
	backend backend.Backend
	chosen  backend.ProbeResult

	cnc       *cnc.File
	errors    *errorlog.DistinctLog
	conductor *conductor.Conductor
	sender    *sender.Sender
	receiver  *receiver.Receiver
	runners   []*agent.Runner
	// terminated is closed when a client asks the driver to stop and the
	// termination validator allows it.
	terminated chan struct{}
	termOnce   sync.Once

	mu      sync.Mutex
	started bool
	closed  bool
}

// startNs anchors the monotonic clock the agents use.
var startTime = time.Now()

func nanoClock() int64  { return int64(time.Since(startTime)) }
func epochClock() int64 { return time.Now().UnixMilli() }

// New validates cfg, prepares aeron.dir and opens the network backend.
func New(cfg config.Config, opts ...Option) (*Driver, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("driver config: %w", err)
	}
	d := &Driver{cfg: cfg, log: o.logger, terminated: make(chan struct{})}
	if err := d.prepareDir(); err != nil {
		return nil, err
	}
	if o.backend != nil {
		d.backend = o.backend
		d.chosen = backend.ProbeResult{Name: o.backend.Name(), Available: true, Reason: "given by the embedding application"}
	} else if err := d.chooseBackend(); err != nil {
		return nil, err
	}
	if err := d.createCnC(); err != nil {
		d.backend.Close()
		return nil, err
	}
	return d, nil
}

// createCnC writes cnc.dat and builds the conductor over it. The file's
// version is published only once the counters exist, so clients never see
// a half-made driver.
func (d *Driver) createCnC() error {
	cfg := d.cfg
	l := cnc.Lengths{
		ToDriver:        cfg.ConductorBufferLength,
		ToClients:       cfg.ClientsBufferLength,
		CounterMetadata: 4 * cfg.CountersBufferLength,
		CounterValues:   cfg.CountersBufferLength,
		ErrorLog:        cfg.ErrorBufferLength,
	}
	f, err := cnc.CreateFile(cfg.Dir, cnc.Params{Lengths: l, ClientLivenessTimeout: cfg.ClientLivenessTimeout,
		StartTimestampMs: epochClock(), PID: int64(os.Getpid()), FilePageSize: cfg.FilePageSize})
	if err != nil {
		return fmt.Errorf("create cnc.dat in %s: %w", cfg.Dir, err)
	}
	mgr := counters.NewManager(f.CountersMetadata(), f.CountersValues(), epochClock, cfg.CountersFreeToReuseTimeout.Milliseconds())
	major, minor, patch := 0, 1, 0
	sys, err := counters.AllocateSystemCounters(mgr, Version, "none", major, minor, patch, string(cfg.ThreadingMode), "100ms")
	if err != nil {
		f.Close()
		return fmt.Errorf("system counters: %w", err)
	}
	errs := errorlog.New(f.ErrorLog(), epochClock)
	d.sender = sender.New(nanoClock, cfg.SendToStatusPollRatio)
	d.receiver = receiver.New(nanoClock)
	c, err := conductor.New(conductor.Context{
		Config: cfg, ToDriver: f.ToDriver(), ToClients: f.ToClients(), Counters: mgr, System: sys, Errors: errs,
		Log: d.log, NanoClock: nanoClock, EpochClock: epochClock,
		Terminate: func() { d.termOnce.Do(func() { close(d.terminated) }) },
		Backend:   d.backend, Sender: d.sender, Receiver: d.receiver,
	})
	if err != nil {
		f.Close()
		return err
	}
	// Take one correlation id so client ids never start at zero, as
	// Aeron's drivers do, then publish the file.
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		f.Close()
		return err
	}
	ring.NextCorrelationID()
	f.Ready()
	d.cnc, d.errors, d.conductor = f, errs, c
	return nil
}

// Terminated is closed when a client terminated the driver (with the
// termination validator set to allow).
func (d *Driver) Terminated() <-chan struct{} { return d.terminated }

func (d *Driver) chooseBackend() error {
	opts, err := BackendOptions(d.cfg)
	if err != nil {
		return err
	}
	f, chosen, all, err := backend.Choose(d.cfg.Backend, opts)
	if err != nil {
		return fmt.Errorf("choose backend: %w", err)
	}
	var skipped []string
	for _, r := range all {
		if r.Name == chosen.Name {
			break
		}
		skipped = append(skipped, r.Name+": "+r.Reason)
	}
	attrs := []any{"backend", chosen.Name, "reason", chosen.Reason, "requested", d.cfg.Backend}
	if len(skipped) > 0 {
		attrs = append(attrs, "skipped", strings.Join(skipped, "; "))
	}
	d.log.Info("network backend chosen", attrs...)
	// Interceptors are checked before the backend opens, so a bad setting
	// fails start-up without touching the network.
	wrap, err := loss.Configure(d.cfg.UDPChannelIncomingInterceptors, d.cfg.UDPChannelOutgoingInterceptors, d.cfg.UDPChannelLossArgs)
	if err != nil {
		return fmt.Errorf("udp channel interceptors: %w", err)
	}
	b, err := f.New(opts)
	if err != nil {
		return fmt.Errorf("open backend %s: %w", chosen.Name, err)
	}
	// A backend that owns its addresses (DPDK) is where channels naming
	// them as interface= live.
	if owner, ok := b.(interface{ Address() netip.Prefix }); ok && owner.Address().IsValid() {
		uri.SetBackendAddresses(owner.Address())
	}
	if wrap != nil {
		b = wrap(b)
		d.log.Warn("loss interceptor active: datagrams will be dropped on purpose",
			"incoming", d.cfg.UDPChannelIncomingInterceptors, "outgoing", d.cfg.UDPChannelOutgoingInterceptors, "args", d.cfg.UDPChannelLossArgs)
	}
	d.backend, d.chosen = b, chosen
	return nil
}

// prepareDir creates aeron.dir with permissions no wider than the user's.
func (d *Driver) prepareDir() error {
	dir := d.cfg.Dir
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("aeron.dir %s exists and is not a directory", dir)
		}
		if d.cfg.DirWarnIfExists {
			d.log.Warn("aeron.dir already exists", "dir", dir)
		}
		if !d.cfg.DirDeleteOnStart {
			active, pid, hb, err := cnc.IsDriverActive(dir, d.cfg.DriverTimeout)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				d.log.Warn("existing cnc.dat unreadable; treating aeron.dir as stale", "dir", dir, "error", err)
			}
			if active {
				return fmt.Errorf("active media driver detected in %s: pid %d, heartbeat %v ago", dir, pid,
					time.Duration(epochClock()-hb)*time.Millisecond)
			}
		}
		// Not live (or told to delete): a stale directory goes.
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("delete stale aeron.dir %s: %w", dir, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stat aeron.dir %s: %w", dir, err)
	}
	for _, sub := range []string{dir, filepath.Join(dir, "publications"), filepath.Join(dir, "images")} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", sub, err)
		}
	}
	return nil
}

// onAgentError records an agent's error (or recovered panic) in the
// distinct error log, where AeronStat's ErrorStat finds it, and keeps the
// agent running.
func (d *Driver) onAgentError(role string, err error) {
	d.errors.Record(int32(command.ErrGenericError), role+": "+err.Error())
	d.log.Error("agent error", "agent", role, "error", err)
}

// Dir is the driver's aeron.dir.
func (d *Driver) Dir() string { return d.cfg.Dir }

// Backend reports the network backend in use and why it was chosen.
func (d *Driver) Backend() backend.ProbeResult { return d.chosen }

// Start runs the driver's agents.
func (d *Driver) Start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("driver is closed")
	}
	if d.started {
		return errors.New("driver already started")
	}
	idle := func(name, what string) (agent.IdleStrategy, error) {
		s, err := agent.ParseIdleStrategy(name)
		if err != nil {
			return nil, fmt.Errorf("%s idle strategy: %w", what, err)
		}
		return s, nil
	}
	// SHARED puts the three agents on one thread, SHARED_NETWORK the two
	// network agents on a second, DEDICATED each on its own. The network
	// runners come first so that Close stops them before the conductor
	// unmaps the logs they read.
	var runners []*agent.Runner
	switch d.cfg.ThreadingMode {
	case config.Shared:
		is, err := idle(d.cfg.SharedIdleStrategy, "shared")
		if err != nil {
			return err
		}
		runners = append(runners, agent.NewRunner("driver-shared", is, d.onAgentError, d.sender, d.receiver, d.conductor))
	case config.SharedNetwork:
		is, err := idle(d.cfg.SharedNetworkIdleStrategy, "shared network")
		if err != nil {
			return err
		}
		ic, err := idle(d.cfg.ConductorIdleStrategy, "conductor")
		if err != nil {
			return err
		}
		runners = append(runners, agent.NewRunner("driver-shared-network", is, d.onAgentError, d.sender, d.receiver),
			agent.NewRunner("driver-conductor", ic, d.onAgentError, d.conductor))
	default:
		is, err := idle(d.cfg.SenderIdleStrategy, "sender")
		if err != nil {
			return err
		}
		ir, err := idle(d.cfg.ReceiverIdleStrategy, "receiver")
		if err != nil {
			return err
		}
		ic, err := idle(d.cfg.ConductorIdleStrategy, "conductor")
		if err != nil {
			return err
		}
		runners = append(runners, agent.NewRunner("sender", is, d.onAgentError, d.sender),
			agent.NewRunner("receiver", ir, d.onAgentError, d.receiver),
			agent.NewRunner("driver-conductor", ic, d.onAgentError, d.conductor))
	}
	for _, r := range runners {
		r.Start()
	}
	d.runners = runners
	d.started = true
	d.log.Info("media driver started", "dir", d.cfg.Dir, "threading", d.cfg.ThreadingMode, "backend", d.chosen.Name)
	return nil
}

// Close stops the agents, closes the backend and, if configured, deletes
// aeron.dir. It is safe to call more than once.
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	var errs []error
	for _, r := range d.runners {
		if err := r.Close(5 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if d.cnc != nil {
		if !d.started {
			// The conductor never ran: still tell clients we are gone.
			d.conductor.OnClose()
		}
		_ = d.cnc.Sync()
		if err := d.cnc.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if d.backend != nil {
		if err := d.backend.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close backend: %w", err))
		}
	}
	if d.cfg.DirDeleteOnShutdown {
		if err := os.RemoveAll(d.cfg.Dir); err != nil {
			errs = append(errs, fmt.Errorf("delete aeron.dir %s: %w", d.cfg.Dir, err))
		}
	}
	d.log.Info("media driver stopped", "dir", d.cfg.Dir)
	return errors.Join(errs...)
}
