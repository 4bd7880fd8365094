//go:build dpdk

package dpdk

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/dpdk"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	code := m.Run()
	aeronjava.RemoveBuilt()
	os.Exit(code)
}

// env is a veth between namespace a (DPDK, no IP address on the veth) and
// b (the kernel peer, 198.18.0.2).
type env struct {
	a, b  *netns.Host
	child *child
	// mac is the veth's MAC in a, which DPDK sends from.
	mac string
}

const (
	dpdkAddr = "198.18.0.1"
	peerAddr = "198.18.0.2"
)

// require skips without the af_packet driver (fails in CI).
func require(t testing.TB) {
	t.Helper()
	netns.Require(t)
	if !dpdk.HasPMD("af_packet") {
		if os.Getenv("CI") == "true" {
			t.Fatal("DPDK's af_packet driver is missing (required in CI)")
		}
		t.Skip("DPDK's af_packet driver is not installed")
	}
}

// setup builds the network and starts the DPDK child in namespace a.
func setup(t *testing.T, gateway string, igmp int) *env {
	t.Helper()
	return setupQueues(t, gateway, igmp, 1)
}

func setupQueues(t *testing.T, gateway string, igmp, queues int) *env {
	t.Helper()
	return setupChild(t, func(c *childConfig) { c.Gateway, c.IGMP, c.Queues = gateway, igmp, queues })
}

// setupChild starts the DPDK child on host a of a fresh pair, with its
// configuration changed by mod.
func setupChild(t *testing.T, mod func(*childConfig)) *env {
	t.Helper()
	require(t)
	n := netns.New(t, netns.Options{})
	e := &env{a: n.Hosts[0], b: n.Hosts[1]}
	if _, err := e.a.Exec("ip", "addr", "flush", "dev", e.a.IfName()); err != nil {
		t.Fatal(err)
	}
	out, err := e.a.Exec("cat", "/sys/class/net/"+e.a.IfName()+"/address")
	if err != nil {
		t.Fatal(err)
	}
	e.mac = strings.TrimSpace(out)
	c := childConfig{Iface: e.a.IfName(), Address: dpdkAddr + "/24", Queues: 1,
		FilePrefix: fmt.Sprintf("abt-dpdk-%d-%d", os.Getpid(), time.Now().UnixNano())}
	mod(&c)
	spec, _ := json.Marshal(c)
	e.child = startChild(t, e.a, string(spec))
	return e
}

type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
}

func startChild(t *testing.T, h *netns.Host, spec string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childLimit)
	cmd := h.Command(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = &prefixWriter{t: t}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, in: in, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		cancel()
	})
	if first := c.reply(30 * time.Second); !strings.HasPrefix(first, "ok ") {
		t.Fatalf("DPDK child did not start: %s", first)
	} else {
		t.Logf("DPDK child: %s", first)
	}
	return c
}

// reply waits for the child's next line.
func (c *child) reply(timeout time.Duration) string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatal("DPDK child exited")
		}
		return l
	case <-time.After(timeout):
		c.t.Fatalf("DPDK child silent for %v", timeout)
	}
	return ""
}

// do sends a command and returns the reply's fields after "ok"; an
// "error" reply fails the test.
func (c *child) do(format string, a ...any) []string {
	c.t.Helper()
	r := c.try(format, a...)
	if !strings.HasPrefix(r, "ok") {
		c.t.Fatalf("%s: %s", fmt.Sprintf(format, a...), r)
	}
	return strings.Fields(r)[1:]
}

// try sends a command and returns the whole reply line.
func (c *child) try(format string, a ...any) string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.in, format+"\n", a...); err != nil {
		c.t.Fatal(err)
	}
	return c.reply(30 * time.Second)
}

type prefixWriter struct{ t *testing.T }

func (w *prefixWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log("child: " + l)
	}
	return len(p), nil
}
