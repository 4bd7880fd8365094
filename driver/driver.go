package driver

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/loss"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// Option changes how New builds a Driver.
type Option func(*options)

type options struct {
	logger  *slog.Logger
	backend backend.Backend
}

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

	mu      sync.Mutex
	started bool
	closed  bool
}

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
	d := &Driver{cfg: cfg, log: o.logger}
	if err := d.prepareDir(); err != nil {
		return nil, err
	}
	if o.backend != nil {
		d.backend = o.backend
		d.chosen = backend.ProbeResult{Name: o.backend.Name(), Available: true, Reason: "given by the embedding application"}
	} else if err := d.chooseBackend(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Driver) chooseBackend() error {
	opts := backend.Options{
		Interface:    d.cfg.Interface,
		Queues:       d.cfg.Queues,
		SocketRcvBuf: d.cfg.SocketSoRcvbuf,
		SocketSndBuf: d.cfg.SocketSoSndbuf,
		MTU:          d.cfg.MTULength,
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
		if d.cfg.DirDeleteOnStart {
			if err := os.RemoveAll(dir); err != nil {
				return fmt.Errorf("delete aeron.dir %s on start: %w", dir, err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stat aeron.dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create aeron.dir %s: %w", dir, err)
	}
	return nil
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
