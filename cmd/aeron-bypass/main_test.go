package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aeron-bypass-cmd")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "aeron-bypass")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes the binary with a bounded time and a clean AERON_* environment.
func run(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), errOut.String(), err
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not finish in time; stderr:\n%s", args, errOut.String())
	}
	return "", "", nil
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AERON_") {
			env = append(env, kv)
		}
	}
	return env
}

func TestProbeJSON(t *testing.T) {
	out, _, err := run(t, nil, "probe", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Chosen   string `json:"chosen"`
		Backends []struct {
			Name      string `json:"name"`
			Available bool   `json:"available"`
			Reason    string `json:"reason"`
		} `json:"backends"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	names := map[string]bool{}
	for _, b := range report.Backends {
		names[b.Name] = true
		if b.Reason == "" {
			t.Errorf("backend %s gives no reason", b.Name)
		}
		if b.Name == "udp" && !b.Available {
			t.Error("udp not available")
		}
	}
	if report.Chosen != "udp" || !names["xdp"] || !names["dpdk"] {
		t.Fatalf("report %+v", report)
	}
	text, _, err := run(t, nil, "probe")
	if err != nil || !strings.Contains(text, "auto picks: udp") {
		t.Fatalf("probe table: %v\n%s", err, text)
	}
}

func TestNamedBackendUnavailableFailsFast(t *testing.T) {
	start := time.Now()
	_, stderr, err := run(t, nil, "--backend", "xdp", "--aeron-dir", t.TempDir())
	if err == nil || !strings.Contains(stderr, "backend xdp is not available") {
		t.Fatalf("err %v, stderr %s", err, stderr)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("did not fail fast")
	}
}

func TestBadValuesRefused(t *testing.T) {
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"AERON_TERM_BUFFER_LENGTH=100k"}, nil, "aeron.term.buffer.length"},
		{nil, []string{"--threading-mode", "SOMETIMES"}, "aeron.threading.mode"},
		{nil, []string{"--no-such-setting", "1"}, "unknown flag"},
		{nil, []string{"-Daeron.no.such=1"}, "unknown property"},
		{[]string{"AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS=loss", "AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_LOSS_ARGS=rate=7"}, nil, "outside [0, 1]"},
		{[]string{"AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS=nosuch"}, nil, "unknown interceptor"},
	}
	for _, c := range cases {
		_, stderr, err := run(t, c.env, append(c.args, "--aeron-dir", t.TempDir())...)
		if err == nil || !strings.Contains(stderr, c.want) {
			t.Errorf("%v %v: err %v, stderr %s", c.env, c.args, err, stderr)
		}
	}
}

// startDriver launches the driver and waits until it logs that it started.
func startDriver(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, chan error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &syncWriter{buf: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(cmd.Stderr.(*syncWriter).String(), "media driver started") {
		select {
		case err := <-done:
			t.Fatalf("driver exited early: %v\n%s", err, cmd.Stderr.(*syncWriter).String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("driver did not start:\n%s", cmd.Stderr.(*syncWriter).String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, &stderr, done
}

func stopDriver(t *testing.T, cmd *exec.Cmd, done chan error, sig os.Signal) {
	t.Helper()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("driver exit on %v: %v\n%s", sig, err, cmd.Stderr.(*syncWriter).String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("driver did not stop on %v", sig)
	}
}

func TestRunStopsOnSignals(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		dir := filepath.Join(t.TempDir(), "aeron")
		cmd, _, done := startDriver(t, nil, "--aeron-dir", dir)
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("aeron.dir %v mode %v", err, st.Mode())
		}
		log := cmd.Stderr.(*syncWriter).String()
		if !strings.Contains(log, "backend=udp") || !strings.Contains(log, "skipped=") {
			t.Fatalf("the log does not say which backend and why:\n%s", log)
		}
		stopDriver(t, cmd, done, sig)
	}
}

// Aeron's test harness starts a driver binary with no arguments and many
// AERON_* variables; it must start cleanly that way.
func TestStartsLikeAeronTestHarness(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aeron")
	env := []string{
		"AERON_DIR=" + dir,
		"AERON_THREADING_MODE=SHARED",
		"AERON_TERM_BUFFER_LENGTH=64k",
		"AERON_IPC_TERM_BUFFER_LENGTH=64k",
		"AERON_DIR_DELETE_ON_START=true",
		"AERON_DIR_DELETE_ON_SHUTDOWN=true",
		"AERON_CLIENT_LIVENESS_TIMEOUT=5000000000",
		"AERON_PUBLICATION_LINGER_TIMEOUT=100ms",
		"AERON_SHARED_IDLE_STRATEGY=org.agrona.concurrent.BackoffIdleStrategy",
		"AERON_SPIES_SIMULATE_CONNECTION=false",
		"AERON_PRINT_CONFIGURATION=false",
		"AERON_DRIVER_TERMINATION_VALIDATOR=allow",
		"AERON_SENDER_CPU_AFFINITY=-1",
		"AERON_ENABLE_EXPERIMENTAL_FEATURES=true",
		"AERON_EVENT_LOG=0",
	}
	cmd, _, done := startDriver(t, env)
	log := cmd.Stderr.(*syncWriter).String()
	if !strings.Contains(log, "AERON_SENDER_CPU_AFFINITY is an Aeron setting this driver does not implement") {
		t.Fatalf("ignored variable not reported:\n%s", log)
	}
	if strings.Count(log, "AERON_SENDER_CPU_AFFINITY") != 1 {
		t.Fatalf("ignored variable reported more than once:\n%s", log)
	}
	stopDriver(t, cmd, done, syscall.SIGTERM)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("aeron.dir not deleted on shutdown: %v", err)
	}
}

func TestConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "driver.properties")
	dir := filepath.Join(t.TempDir(), "from-file")
	if err := os.WriteFile(file, []byte("aeron.dir="+dir+"\naeron.threading.mode=SHARED\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, _, done := startDriver(t, nil, "--config", file)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("aeron.dir from the config file not used: %v", err)
	}
	stopDriver(t, cmd, done, os.Interrupt)
	if err := os.WriteFile(file, []byte("aeron.dirr=/tmp/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run(t, nil, "--config", file); err == nil || !strings.Contains(stderr, "unknown key(s) aeron.dirr") {
		t.Fatalf("unknown key accepted: %v %s", err, stderr)
	}
}

// aeronmd accepts -Daeron.x.y=value arguments; they work as flags do.
func TestJavaStyleArguments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "from-d")
	cmd, _, done := startDriver(t, []string{"AERON_NOT_A_SETTING_ANYWHERE=1"}, "-Daeron.dir="+dir, "-Daeron.threading.mode=SHARED")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("aeron.dir from -D not used: %v", err)
	}
	if log := cmd.Stderr.(*syncWriter).String(); !strings.Contains(log, "AERON_NOT_A_SETTING_ANYWHERE") {
		t.Fatalf("unknown AERON_* variable not reported:\n%s", log)
	}
	stopDriver(t, cmd, done, os.Interrupt)
	if _, stderr, err := run(t, nil, "-Daeron.dir="+dir, "-Daeron.threading.mode=SOMETIMES"); err == nil || !strings.Contains(stderr, "aeron.threading.mode") {
		t.Fatalf("bad -D value accepted: %v %s", err, stderr)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, nil, "version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"aeron-bypass dev (go1.", "Aeron 1.51.0", "CnC file version 0.2.0"} {
		if !strings.Contains(out, want) {
			t.Fatalf("version lacks %q:\n%s", want, out)
		}
	}
	bin := filepath.Join(t.TempDir(), "aeron-bypass")
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version=9.8.7", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out2, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out2), "aeron-bypass 9.8.7 ") {
		t.Fatalf("injected version: %v %q", err, out2)
	}
}
