package examples_test

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
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

// start runs an example in the background; it is killed when the test ends.
func start(t *testing.T, bin, dir string, args ...string) *aeronjava.Process {
	t.Helper()
	return aeronjava.Start(t, nil, filepath.Join(bin, args[0]), append([]string{"-dir", dir}, args[1:]...)...)
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
		sub.WaitOutput(t, "Subscribing to", 10*time.Second)
		out := run(t, bin, dir, "basicpublisher", "-channel", "aeron:ipc", "-stream", "1011", "-messages", "3")
		offered := aeronjava.Offered(out)
		if len(offered) < 2 {
			t.Fatalf("publisher offered %v of 3:\n%s", offered, out)
		}
		last := fmt.Sprintf("<<Hello World! %d>>", offered[len(offered)-1])
		sub.WaitOutput(t, last, 10*time.Second)
		for _, n := range offered {
			if want := fmt.Sprintf("<<Hello World! %d>>", n); strings.Count(sub.Output(), want) != 1 {
				t.Fatalf("subscriber, want %s once:\n%s", want, sub.Output())
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
