package client

import (
	"fmt"
	"os"

	// Kernel UDP is the fallback every host has; an embedded driver must
	// always find a backend.
	_ "github.com/aeron-bypass/aeron-bypass/backend/udp"
	"github.com/aeron-bypass/aeron-bypass/driver"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// EmbeddedDriver is our media driver running inside this process.
type EmbeddedDriver struct {
	d      *driver.Driver
	tmpDir string
}

// LaunchEmbedded starts our driver in-process on cfg.Dir, or on a fresh
// temporary directory when cfg.Dir is empty (removed again by Close).
func LaunchEmbedded(cfg config.Config, opts ...driver.Option) (*EmbeddedDriver, error) {
	e := &EmbeddedDriver{}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "aeron-embedded-")
		if err != nil {
			return nil, fmt.Errorf("embedded driver dir: %w", err)
		}
		e.tmpDir = dir
		cfg.Dir = dir + "/aeron"
	}
	d, err := driver.New(cfg, opts...)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("embedded driver in %s: %w", cfg.Dir, err)
	}
	if err := d.Start(); err != nil {
		_ = d.Close()
		e.cleanup()
		return nil, fmt.Errorf("start embedded driver in %s: %w", cfg.Dir, err)
	}
	e.d = d
	return e, nil
}

// Dir is the driver's aeron.dir, for Config.Dir.
func (e *EmbeddedDriver) Dir() string { return e.d.Dir() }

// ClientConfig is a client Config for this driver, to pass to Connect.
func (e *EmbeddedDriver) ClientConfig() Config { return Config{Dir: e.Dir()} }

// Close stops the driver (idempotent).
func (e *EmbeddedDriver) Close() error {
	err := e.d.Close()
	e.cleanup()
	if err != nil {
		return fmt.Errorf("close embedded driver: %w", err)
	}
	return nil
}

func (e *EmbeddedDriver) cleanup() {
	if e.tmpDir != "" {
		_ = os.RemoveAll(e.tmpDir)
		e.tmpDir = ""
	}
}
