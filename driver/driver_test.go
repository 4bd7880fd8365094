package driver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/aeron-bypass/aeron-bypass/backend/udp"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
)

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.Dir = filepath.Join(t.TempDir(), "aeron")
	cfg.Backend = "udp"
	cfg.ConductorBufferLength = 64*1024 + 768
	cfg.ClientsBufferLength = 64*1024 + 128
	cfg.CountersBufferLength = 64 * 1024
	cfg.ErrorBufferLength = 64 * 1024
	return cfg
}

func TestRefusesLiveDriverAndCleansStaleDir(t *testing.T) {
	cfg := testConfig(t)
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(cfg.Dir)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("aeron.dir mode %v", st.Mode().Perm())
	}
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "active media driver detected") ||
		!strings.Contains(err.Error(), "pid") {
		t.Fatalf("second driver over a live one: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed in order: the heartbeat says so, and the directory is stale.
	if active, _, hb, err := cnc.IsDriverActive(cfg.Dir, time.Second); err != nil || active || hb != -1 {
		t.Fatalf("after close: active %v heartbeat %d err %v", active, hb, err)
	}
	junk := filepath.Join(cfg.Dir, "publications", "left-over.logbuffer")
	if err := os.WriteFile(junk, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	d2, err := New(cfg)
	if err != nil {
		t.Fatalf("stale directory not reused: %v", err)
	}
	defer d2.Close()
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Fatal("stale files kept")
	}
}

func TestDeleteOnShutdown(t *testing.T) {
	cfg := testConfig(t)
	cfg.DirDeleteOnShutdown = true
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.Dir); !os.IsNotExist(err) {
		t.Fatal("aeron.dir not deleted on shutdown")
	}
}
