package interop

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// driverKind names the two drivers every test runs against.
type driverKind string

const (
	javaDriver   driverKind = "java"
	bypassDriver driverKind = "aeron-bypass"
)

var drivers = []driverKind{javaDriver, bypassDriver}

// TestMain removes what the tests built once for all of them.
func TestMain(m *testing.M) {
	code := m.Run()
	aeronjava.RemoveBuilt()
	os.Exit(code)
}

// settings both drivers get: one shared, backing-off thread so the two
// cores are not starved; short timeouts so failure tests finish quickly.
type settings struct {
	clientLiveness time.Duration
}

// startDriver starts the chosen driver on a fresh directory.
func startDriver(t *testing.T, kind driverKind, s settings) (string, *aeronjava.Process) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron")
	if s.clientLiveness == 0 {
		s.clientLiveness = 10 * time.Second
	}
	switch kind {
	case javaDriver:
		p := aeronjava.StartMediaDriver(t, dir, map[string]string{
			"aeron.client.liveness.timeout": itoa(s.clientLiveness.Nanoseconds()),
			"aeron.ipc.term.buffer.length":  "1m",
		})
		return dir, p
	default:
		p := aeronjava.StartOurDriver(t, dir, []string{
			"AERON_CLIENT_LIVENESS_TIMEOUT=" + itoa(s.clientLiveness.Nanoseconds()),
		})
		return dir, p
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// javaProps are the client-side properties for a driver directory.
func javaProps(dir string, extra ...string) map[string]string {
	p := map[string]string{"aeron.dir": dir}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return p
}

// startJava starts one of our Java programs.
func startJava(t *testing.T, props map[string]string, main string, args ...string) *aeronjava.Process {
	t.Helper()
	return aeronjava.Start(t, nil, "java", append(append(aeronjava.JavaArgs(aeronjava.InteropClasspath(t), props), main), args...)...)
}

// lines returns the process output lines holding substr.
func lines(out, substr string) []string {
	var l []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			l = append(l, sc.Text())
		}
	}
	return l
}
