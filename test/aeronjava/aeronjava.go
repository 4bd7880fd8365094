package aeronjava

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the Aeron release the tests run against.
const Version = "1.51.0"

// Jar locates aeron-all: $AERON_ALL_JAR, else .cache/java under the
// repository root. A missing jar fails the test with what to run.
func Jar(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AERON_ALL_JAR"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	root := repoRoot()
	p := filepath.Join(root, ".cache", "java", "aeron-all-"+Version+".jar")
	if _, err := os.Stat(p); err != nil {
		// Fetch it once, bounded, as `make test` would have.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, mkErr := exec.CommandContext(ctx, "make", "-C", root, "java-deps").CombinedOutput()
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("Aeron Java jar not found (%v) and `make java-deps` failed: %v\n%s", err, mkErr, out)
		}
	}
	return p
}

// JavaArgs is the java command line prefix for Aeron 1.47+ on Java 17.
func JavaArgs(classpath string, props map[string]string) []string {
	args := []string{"-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", classpath}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-D"+k+"="+props[k])
	}
	return args
}

// Process is a running program whose output is kept for the test log.
type Process struct {
	Cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

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

// Start runs name with args; the process is killed when the test ends.
func Start(t testing.TB, env []string, name string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := startKilledWithUs(cmd); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Process{Cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop(5 * time.Second)
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(name)+" "+lastArg(args), p.Output())
		}
	})
	return p
}

func lastArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[len(args)-1]
}

// Output is what the process printed so far.
func (p *Process) Output() string { return p.out.String() }

// Wait waits up to d for the process to exit and returns its error.
func (p *Process) Wait(d time.Duration) (error, bool) {
	select {
	case <-p.done:
		return p.err, true
	case <-time.After(d):
		return nil, false
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, then SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	if _, ok := p.Wait(grace); !ok {
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL and waits.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// DriverProps are the settings the tests give a Java driver: one shared
// thread that sleeps when idle, so two cores are not starved.
func DriverProps(dir string) map[string]string {
	return map[string]string{
		"aeron.dir":                     dir,
		"aeron.threading.mode":          "SHARED",
		"aeron.shared.idle.strategy":    "backoff",
		"aeron.dir.delete.on.start":     "true",
		"aeron.dir.delete.on.shutdown":  "true",
		"aeron.term.buffer.sparse.file": "true",
		"aeron.ipc.term.buffer.length":  "1m",
		"aeron.term.buffer.length":      "1m",
	}
}

// StartMediaDriver runs Aeron's Java media driver on dir and waits until
// its cnc.dat is ready and its heartbeat is set.
func StartMediaDriver(t testing.TB, dir string, extra map[string]string) *Process {
	t.Helper()
	props := DriverProps(dir)
	for k, v := range extra {
		props[k] = v
	}
	p := Start(t, nil, "java", append(JavaArgs(Jar(t), props), "io.aeron.driver.MediaDriver")...)
	WaitForDriver(t, dir, p, 30*time.Second)
	return p
}

// WaitForDriver waits until dir/cnc.dat has a version and a consumer
// heartbeat that advances, so the driver's conductor is running, not just
// its file written (the heartbeat moves about once a second, Aeron's timer
// interval).
func WaitForDriver(t testing.TB, dir string, p *Process, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	first := int64(0)
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("driver exited before it was ready:\n%s", p.Output())
		}
		if hb := heartbeat(dir); hb != 0 {
			if first == 0 {
				first = hb
			} else if hb != first {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("driver on %s not ready after %v (heartbeat %d)", dir, timeout, first)
}

// heartbeat reads the to-driver ring buffer's consumer heartbeat from the
// cnc header directly (fact sheet §3, §4: the ring buffer follows the
// 128-byte header, its 768-byte trailer holds the heartbeat at offset 640),
// so this package depends on nothing it might be used to test. 0 means not
// ready.
func heartbeat(dir string) int64 {
	b, err := os.ReadFile(filepath.Join(dir, "cnc.dat"))
	if err != nil || len(b) < 128 {
		return 0
	}
	if binary.LittleEndian.Uint32(b) == 0 {
		return 0
	}
	toDriver := int(binary.LittleEndian.Uint32(b[4:]))
	off := 128 + toDriver - 768 + 640
	if toDriver < 768 || off+8 > len(b) {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b[off:]))
}

// Run runs a Java main class to completion within timeout and returns its
// output; it fails the test on a non-zero exit or a timeout.
func Run(t testing.TB, classpath string, props map[string]string, timeout time.Duration, mainClass string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", append(append(JavaArgs(classpath, props), mainClass), args...)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := startKilledWithUs(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	out := buf.Bytes()
	if err != nil {
		t.Fatalf("%s: %v\n%s", mainClass, err, out)
	}
	return string(out)
}

// Describe is a short description for messages.
func (p *Process) Describe() string { return fmt.Sprintf("pid %d", p.Cmd.Process.Pid) }

// RunJava runs mainClass on the aeron-all jar (plus extraClasspath, if any,
// first) to completion within two minutes and returns its output.
func RunJava(t testing.TB, mainClass string, props map[string]string, args ...string) string {
	t.Helper()
	return Run(t, Jar(t), props, 2*time.Minute, mainClass, args...)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// StartOurDriver runs aeron-bypass on dir with the same shared, backing-off
// thread as DriverProps gives the Java driver, plus env (AERON_* settings),
// and waits until its cnc.dat is ready.
func StartOurDriver(t testing.TB, dir string, env []string) *Process {
	t.Helper()
	base := []string{
		"AERON_THREADING_MODE=SHARED",
		"AERON_SHARED_IDLE_STRATEGY=backoff",
		"AERON_DIR_DELETE_ON_START=true",
		"AERON_DIR_DELETE_ON_SHUTDOWN=true",
		"AERON_IPC_TERM_BUFFER_LENGTH=1m",
		"AERON_TERM_BUFFER_LENGTH=1m",
	}
	p := Start(t, append(base, env...), OurBinary(t), "--aeron-dir", dir)
	WaitForDriver(t, dir, p, 30*time.Second)
	return p
}

var (
	spawnOnce sync.Once
	spawn     chan spawnRequest
)

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// startKilledWithUs starts cmd so the kernel kills it when the test binary
// dies: a binary killed by its timeout runs no Cleanup, and a driver left
// running would hold a core. The parent-death signal follows the OS thread
// that forked, so every child is forked from one locked thread that lives as
// long as the process.
func startKilledWithUs(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawn = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread()
			for r := range spawn {
				r.done <- r.cmd.Start()
			}
		}()
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	done := make(chan error, 1)
	spawn <- spawnRequest{cmd: cmd, done: done}
	return <-done
}

// InNetns returns the command line that runs name with args inside the
// network namespace ns (ip-netns(8) execs the program in place, so killing
// the process kills the program).
func InNetns(ns, name string, args ...string) (string, []string) {
	if ns == "" {
		return name, args
	}
	return "ip", append([]string{"netns", "exec", ns, name}, args...)
}

// StartMediaDriverIn runs Aeron's Java media driver inside the network
// namespace ns and waits until it is ready.
func StartMediaDriverIn(t testing.TB, ns, dir string, extra map[string]string) *Process {
	t.Helper()
	props := DriverProps(dir)
	for k, v := range extra {
		props[k] = v
	}
	name, args := InNetns(ns, "java", append(JavaArgs(Jar(t), props), "io.aeron.driver.MediaDriver")...)
	p := Start(t, nil, name, args...)
	WaitForDriver(t, dir, p, 30*time.Second)
	return p
}

// StartOurDriverIn runs aeron-bypass inside the network namespace ns, with
// the same settings as StartOurDriver, and waits until it is ready.
func StartOurDriverIn(t testing.TB, ns, dir string, env []string, args ...string) *Process {
	t.Helper()
	base := []string{
		"AERON_THREADING_MODE=SHARED",
		"AERON_SHARED_IDLE_STRATEGY=backoff",
		"AERON_DIR_DELETE_ON_START=true",
		"AERON_DIR_DELETE_ON_SHUTDOWN=true",
		"AERON_IPC_TERM_BUFFER_LENGTH=1m",
		"AERON_TERM_BUFFER_LENGTH=1m",
	}
	name, argv := InNetns(ns, OurBinary(t), append([]string{"--aeron-dir", dir}, args...)...)
	p := Start(t, append(base, env...), name, argv...)
	WaitForDriver(t, dir, p, 30*time.Second)
	return p
}
