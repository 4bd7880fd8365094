package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{"65536": 65536, "64k": 64 << 10, "64K": 64 << 10, "16m": 16 << 20, "1g": 1 << 30, " 8 ": 8}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "12q", "-1", "1.5m", "99999999999999999g"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{"1000": time.Microsecond, "10s": 10 * time.Second, "5ms": 5 * time.Millisecond, "1us": time.Microsecond, "250ns": 250, "1m": time.Minute}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ten", "-5", "5 parsecs"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.TermBufferLength != 16<<20 || c.IpcTermBufferLength != 64<<20 || c.MTULength != 1408 ||
		c.ClientLivenessTimeout != 10*time.Second || c.ThreadingMode != Dedicated || c.Backend != "auto" ||
		c.ConductorBufferLength != 1<<20+768 || c.ClientsBufferLength != 1<<20+128 || c.NakUnicastDelay != time.Microsecond {
		t.Fatalf("defaults differ from Aeron's: %+v", c)
	}
	if !strings.HasPrefix(filepath.Base(c.Dir), "aeron-") {
		t.Fatalf("default dir %q", c.Dir)
	}
}

func TestNamesAreConsistent(t *testing.T) {
	if EnvName("aeron.term.buffer.length") != "AERON_TERM_BUFFER_LENGTH" || FlagName("aeron.dir") != "aeron-dir" || FlagName("aeron.bypass.backend") != "backend" {
		t.Fatalf("env %s flag %s", EnvName("aeron.term.buffer.length"), FlagName("aeron.dir"))
	}
	seen := map[string]bool{}
	for _, p := range Properties {
		if seen[FlagName(p.Name)] {
			t.Errorf("duplicate flag %s", FlagName(p.Name))
		}
		seen[FlagName(p.Name)] = true
		if err := set(&Config{}, p, p.Default); p.Default != "" && err != nil {
			t.Errorf("%s: default %q: %v", p.Name, p.Default, err)
		}
	}
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "driver.properties", "aeron.term.buffer.length=128k\naeron.mtu.length=4096\naeron.dir=/tmp/from-file\n")
	env := []string{"AERON_TERM_BUFFER_LENGTH=256k", "AERON_DIR=/tmp/from-env"}
	c, _, err := Load(Source{Flags: flags(t, "--aeron-dir=/tmp/from-flag", "--config", file), Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != "/tmp/from-flag" || c.TermBufferLength != 256<<10 || c.MTULength != 4096 {
		t.Fatalf("precedence wrong: dir %s term %d mtu %d", c.Dir, c.TermBufferLength, c.MTULength)
	}
}

func TestFileFormats(t *testing.T) {
	for name, body := range map[string]string{
		"d.properties": "aeron.threading.mode=SHARED\naeron.client.liveness.timeout=2s\n",
		"d.yaml":       "aeron.threading.mode: shared\naeron.client.liveness.timeout: 2s\n",
		"d.toml":       "\"aeron.threading.mode\" = \"SHARED\"\n\"aeron.client.liveness.timeout\" = \"2s\"\n",
	} {
		c, _, err := Load(Source{File: writeFile(t, name, body)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.ThreadingMode != Shared || c.ClientLivenessTimeout != 2*time.Second {
			t.Fatalf("%s: mode %s timeout %v", name, c.ThreadingMode, c.ClientLivenessTimeout)
		}
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		src  Source
		want string
	}{
		{Source{File: writeFile(t, "x.properties", "aeron.term.bufer.length=64k\n")}, "unknown key(s) aeron.term.bufer.length"},
		{Source{Environ: []string{"AERON_TERM_BUFFER_LENGTH=100k"}}, "aeron.term.buffer.length"},
		{Source{Environ: []string{"AERON_MTU_LENGTH=1000"}}, "multiple of 32"},
		{Source{Environ: []string{"AERON_THREADING_MODE=SOMETIMES"}}, "not one of"},
		{Source{Environ: []string{"AERON_CLIENT_LIVENESS_TIMEOUT=soon"}}, "aeron.client.liveness.timeout (environment AERON_CLIENT_LIVENESS_TIMEOUT)"},
		{Source{Flags: flags(t, "--backend=warp")}, "aeron.bypass.backend (flag --backend)"},
		{Source{Environ: []string{"AERON_CONDUCTOR_IDLE_STRATEGY=nap"}}, "not an idle strategy"},
		{Source{Environ: []string{"AERON_DIR="}}, "aeron.dir: must not be empty"},
		{Source{Environ: []string{"AERON_TERM_BUFFER_LENGTH=32k"}}, "aeron.term.buffer.length: 32768 must be a power of two"},
		{Source{Environ: []string{"AERON_IPC_TERM_BUFFER_LENGTH=2g"}}, "aeron.ipc.term.buffer.length"},
		{Source{Environ: []string{"AERON_FILE_PAGE_SIZE=2k"}}, "aeron.file.page.size"},
		{Source{Environ: []string{"AERON_FILE_PAGE_SIZE=12k"}}, "aeron.file.page.size"},
		{Source{Environ: []string{"AERON_MTU_LENGTH=32"}}, "aeron.mtu.length: 32 must be greater than 32"},
		{Source{Environ: []string{"AERON_MTU_LENGTH=65536"}}, "at most 65504"},
		{Source{Environ: []string{"AERON_IPC_MTU_LENGTH=1000"}}, "aeron.ipc.mtu.length"},
		{Source{Environ: []string{"AERON_CONDUCTOR_BUFFER_LENGTH=1m"}}, "aeron.conductor.buffer.length"},
		{Source{Environ: []string{"AERON_CLIENTS_BUFFER_LENGTH=1m"}}, "aeron.clients.buffer.length"},
		{Source{Environ: []string{"AERON_COUNTERS_BUFFER_LENGTH=1000"}}, "aeron.counters.buffer.length"},
		{Source{Environ: []string{"AERON_ERROR_BUFFER_LENGTH=1001"}}, "aeron.error.buffer.length"},
		{Source{Environ: []string{"AERON_MAX_RESEND=0"}}, "aeron.max.resend"},
		{Source{Environ: []string{"AERON_CLIENT_LIVENESS_TIMEOUT=0"}}, "aeron.client.liveness.timeout: must be positive"},
		{Source{Environ: []string{"AERON_DRIVER_TIMEOUT=0"}}, "aeron.driver.timeout"},
		{Source{Environ: []string{"AERON_TIMER_INTERVAL=0"}}, "aeron.timer.interval"},
		{Source{Environ: []string{"AERON_PUBLICATION_RESERVED_SESSION_ID_LOW=10", "AERON_PUBLICATION_RESERVED_SESSION_ID_HIGH=5"}}, "above the high end"},
		{Source{Environ: []string{"AERON_DRIVER_TERMINATION_VALIDATOR=maybe"}}, "aeron.driver.termination.validator"},
		{Source{Environ: []string{"AERON_SHARED_IDLE_STRATEGY=org.agrona.concurrent.Nap"}}, "aeron.shared.idle.strategy"},
		{Source{Environ: []string{"AERON_PRINT_CONFIGURATION=perhaps"}}, "aeron.print.configuration"},
	}
	for _, c := range cases {
		_, _, err := Load(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse([]string{"--no-such-flag=1"}); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestIgnoredEnvironment(t *testing.T) {
	_, notices, err := Load(Source{Environ: []string{
		"AERON_DIR=/tmp/x", "AERON_SENDER_CPU_AFFINITY=1", "AERON_SOMETHING_NEW=1", "PATH=/bin",
	}})
	if err != nil {
		t.Fatal(err)
	}
	joined := ""
	for _, n := range notices {
		joined += string(n) + "\n"
	}
	if len(notices) != 2 || !strings.Contains(joined, "AERON_SENDER_CPU_AFFINITY is an Aeron setting this driver does not implement") ||
		!strings.Contains(joined, "AERON_SOMETHING_NEW is not a setting") {
		t.Fatalf("notices: %q", joined)
	}
}

func TestJavaArgs(t *testing.T) {
	out, err := TranslateJavaArgs([]string{"-Daeron.dir=/tmp/j", "probe", "-Daeron.term.buffer.length=64k"})
	if err != nil || strings.Join(out, " ") != "--aeron-dir=/tmp/j probe --term-buffer-length=64k" {
		t.Fatalf("%v %v", out, err)
	}
	c, _, err := Load(Source{Flags: flags(t, "--aeron-term-buffer-length=128k", "--threading-mode=SHARED")})
	if err != nil || c.TermBufferLength != 128<<10 || c.ThreadingMode != Shared {
		t.Fatalf("long flag forms: %v %d %s", err, c.TermBufferLength, c.ThreadingMode)
	}
	if _, err := TranslateJavaArgs([]string{"-Daeron.nope=1"}); err == nil {
		t.Fatal("unknown -D property accepted")
	}
}

// Print's output (aeron.print.configuration) is itself a properties file
// that loads back to the same configuration.
func TestPrintLoadsBack(t *testing.T) {
	want, _, err := Load(Source{Environ: []string{"AERON_DIR=" + t.TempDir(), "AERON_BYPASS_QUEUES=0,3",
		"AERON_TERM_BUFFER_LENGTH=128k", "AERON_CLIENT_LIVENESS_TIMEOUT=7s"}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	want.Print(&b)
	if !strings.Contains(b.String(), "aeron.bypass.queues=0,3\n") || !strings.Contains(b.String(), "aeron.term.buffer.length=131072\n") {
		t.Fatalf("print:\n%s", b.String())
	}
	got, _, err := Load(Source{File: writeFile(t, "printed.properties", b.String())})
	if err != nil {
		t.Fatalf("load printed configuration: %v\n%s", err, b.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded back %+v, printed %+v", got, want)
	}
}

func TestIntegersAreStrict(t *testing.T) {
	for _, v := range []string{"12abc", "1.5", "", "0x10"} {
		if _, _, err := Load(Source{Environ: []string{"AERON_MAX_RESEND=" + v}}); err == nil {
			t.Errorf("AERON_MAX_RESEND=%q accepted", v)
		}
	}
}

// A boolean flag given bare is true; =false still says false.
func TestBareBoolFlag(t *testing.T) {
	c, _, err := Load(Source{Flags: flags(t, "--dir-delete-on-start", "--term-buffer-sparse-file=false")})
	if err != nil {
		t.Fatal(err)
	}
	if !c.DirDeleteOnStart || c.TermBufferSparseFile {
		t.Fatalf("delete on start %t, sparse %t", c.DirDeleteOnStart, c.TermBufferSparseFile)
	}
}
