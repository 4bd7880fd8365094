package aeronjava

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// built is what the tests build once per test binary and share: our
// binary (per set of build tags) and the interop Java programs.
var (
	builtMu sync.Mutex
	built   = map[string]*artifact{}
)

type artifact struct {
	once sync.Once
	path string // what callers use: a binary or a classpath
	dir  string // the temporary directory to remove, if any
	err  error
}

// buildOnce runs build the first time key is asked for and returns its
// result ever after.
func buildOnce(t testing.TB, key string, build func() (path, dir string, err error)) string {
	t.Helper()
	builtMu.Lock()
	a := built[key]
	if a == nil {
		a = &artifact{}
		built[key] = a
	}
	builtMu.Unlock()
	a.once.Do(func() { a.path, a.dir, a.err = build() })
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.path
}

// OurBinary is the aeron-bypass binary: $AERON_BYPASS_BIN when set (to test
// a prebuilt binary, built with the same tags), else built once per test
// binary with go build -tags into a temporary directory.
func OurBinary(t testing.TB, tags ...string) string {
	t.Helper()
	if p := os.Getenv("AERON_BYPASS_BIN"); p != "" {
		return p
	}
	tagList := strings.Join(tags, ",")
	return buildOnce(t, "bin:"+tagList, func() (string, string, error) {
		dir, err := os.MkdirTemp("", "aeron-bypass-bin")
		if err != nil {
			return "", "", fmt.Errorf("temp dir for aeron-bypass: %w", err)
		}
		path := filepath.Join(dir, "aeron-bypass")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", tagList, "-o", path, "./cmd/aeron-bypass")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", "", fmt.Errorf("go build -tags %q ./cmd/aeron-bypass: %w\n%s", tagList, err, out)
		}
		return path, dir, nil
	})
}

// InteropClasspath compiles the interop tests' Java programs
// (test/interop/java) once per test binary and returns a classpath holding
// them and the aeron-all jar.
func InteropClasspath(t testing.TB) string {
	t.Helper()
	jar := Jar(t)
	return buildOnce(t, "java", func() (string, string, error) {
		dir, err := os.MkdirTemp("", "aeron-bypass-java")
		if err != nil {
			return "", "", fmt.Errorf("temp dir for the Java programs: %w", err)
		}
		src, _ := filepath.Glob(filepath.Join(repoRoot(), "test", "interop", "java", "*.java"))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "javac", append([]string{"-d", dir, "-cp", jar}, src...)...).CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", "", fmt.Errorf("javac: %w\n%s", err, out)
		}
		return dir + string(os.PathListSeparator) + jar, dir, nil
	})
}

// RemoveBuilt deletes what OurBinary and InteropClasspath built; call it
// from TestMain after the tests ran.
func RemoveBuilt() {
	builtMu.Lock()
	defer builtMu.Unlock()
	for _, a := range built {
		if a.dir != "" {
			_ = os.RemoveAll(a.dir)
		}
	}
}

// EnvName maps an Aeron property name to its environment variable, as our
// driver reads it (aeron.term.buffer.length -> AERON_TERM_BUFFER_LENGTH).
func EnvName(prop string) string {
	return strings.ToUpper(strings.ReplaceAll(prop, ".", "_"))
}

// LossProps tell a driver to lose 5% of the datagrams it sends and
// receives, as Aeron property names: Aeron's Java debug channel endpoints
// for the Java driver, our loss interceptor (configured as Aeron's C
// driver's) for ours.
func LossProps(java bool, seed int) map[string]string {
	if java {
		return map[string]string{
			"aeron.SendChannelEndpoint.supplier":    "io.aeron.driver.ext.DebugSendChannelEndpointSupplier",
			"aeron.ReceiveChannelEndpoint.supplier": "io.aeron.driver.ext.DebugReceiveChannelEndpointSupplier",
			"aeron.debug.receive.data.loss.rate":    "0.05",
			"aeron.debug.receive.control.loss.rate": "0.05",
			"aeron.debug.send.data.loss.rate":       "0.05",
			"aeron.debug.send.control.loss.rate":    "0.05",
			"aeron.debug.receive.data.loss.seed":    fmt.Sprint(seed),
			"aeron.debug.send.data.loss.seed":       fmt.Sprint(seed + 1),
		}
	}
	return map[string]string{
		"aeron.udp.channel.incoming.interceptors":        "loss",
		"aeron.udp.channel.outgoing.interceptors":        "loss",
		"aeron.udp.channel.transport.bindings.loss.args": fmt.Sprintf("rate=0.05|seed=%d", seed),
	}
}

// Compile compiles the Java sources in srcDir against the jar into a temp
// dir and returns a classpath holding both.
func Compile(t testing.TB, srcDir string) string {
	t.Helper()
	jar := Jar(t)
	outDir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(srcDir, "*.java"))
	if len(files) == 0 {
		t.Fatalf("no Java sources in %s", srcDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"-d", outDir, "-cp", jar}, files...)
	if out, err := exec.CommandContext(ctx, "javac", args...).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return outDir + string(os.PathListSeparator) + jar
}
