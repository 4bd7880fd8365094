package examples_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// build compiles the examples once into a temp dir.
func build(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin+"/", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go build examples: %v\n%s", err, out)
	}
	return bin
}

func embedded(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.Dir = filepath.Join(t.TempDir(), "aeron")
	cfg.IpcTermBufferLength = 1 << 20
	e, err := client.LaunchEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e.Dir()
}

// syncBuffer is output written by the process's copier goroutine and read
// by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitOutput waits up to 10 s for a background example to print want.
func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q after 10s:\n%s", want, out.String())
		}
	}
}

// start runs an example in the background; it is killed when the test ends.
func start(t *testing.T, bin, dir string, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	out := &syncBuffer{}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, args[0]), append([]string{"-dir", dir}, args[1:]...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	return out
}

func run(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(bin, args[0]), append([]string{"-dir", dir}, args[1:]...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", args[0], err, out)
	}
	return string(out)
}

func TestExamples(t *testing.T) {
	bin := build(t)
	dir := embedded(t)
	t.Run("pingpong", func(t *testing.T) {
		start(t, bin, dir, "pong", "-ping-channel", "aeron:ipc", "-pong-channel", "aeron:ipc")
		out := run(t, bin, dir, "ping", "-ping-channel", "aeron:ipc", "-pong-channel", "aeron:ipc", "-messages", "1000", "-warmup", "100")
		if !strings.Contains(out, "#[Count = 1000]") {
			t.Fatalf("ping output:\n%s", out)
		}
	})
	t.Run("basic", func(t *testing.T) {
		sub := start(t, bin, dir, "basicsubscriber", "-channel", "aeron:ipc", "-stream", "1011")
		waitOutput(t, sub, "Subscribing to")
		out := run(t, bin, dir, "basicpublisher", "-channel", "aeron:ipc", "-stream", "1011", "-messages", "3")
		offered := aeronjava.Offered(out)
		if len(offered) < 2 {
			t.Fatalf("publisher offered %v of 3:\n%s", offered, out)
		}
		last := fmt.Sprintf("<<Hello World! %d>>", offered[len(offered)-1])
		waitOutput(t, sub, last)
		for _, n := range offered {
			if want := fmt.Sprintf("<<Hello World! %d>>", n); strings.Count(sub.String(), want) != 1 {
				t.Fatalf("subscriber, want %s once:\n%s", want, sub.String())
			}
		}
	})
	t.Run("streaming", func(t *testing.T) {
		start(t, bin, dir, "ratesubscriber", "-channel", "aeron:ipc", "-stream", "1012")
		time.Sleep(300 * time.Millisecond)
		out := run(t, bin, dir, "streamingpublisher", "-channel", "aeron:ipc", "-stream", "1012", "-messages", "100000")
		if !strings.Contains(out, "Done streaming. 100000 messages") {
			t.Fatalf("streaming publisher:\n%s", out)
		}
	})
}
