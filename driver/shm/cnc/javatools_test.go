package cnc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestAeronToolsReadOurFile writes cnc.dat with our packages and reads it
// with Aeron's own AeronStat and ErrorStat: the other direction of
// TestAgainstJavaDriver, proving what we write is what Aeron's tools expect.
func TestAeronToolsReadOurFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	dir := filepath.Join(t.TempDir(), "aeron")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := cnc.Create(dir, cnc.Lengths{
		ToDriver: 64*1024 + ringbuffer.TrailerLength, ToClients: 64*1024 + 128,
		CounterMetadata: 256 * counters.MetadataLength, CounterValues: 256 * counters.ValueLength, ErrorLog: 64 * 1024,
	}, int64(10*time.Second), time.Now().UnixMilli(), int64(os.Getpid()), 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	ring.SetConsumerHeartbeatTime(time.Now().UnixMilli())
	m := counters.NewManager(f.CountersMetadata(), f.CountersValues(), func() int64 { return time.Now().UnixMilli() }, 1000)
	sys, err := counters.AllocateSystemCounters(m, "0.1.0", "test", 0, 1, 0, "SHARED", "1ms")
	if err != nil {
		t.Fatal(err)
	}
	sys.BytesSent.Set(123456)
	pos, err := m.AllocatePosition(counters.TypePublisherPosition, counters.NamePublisherPosExclusive, 42, 7, 1001, "aeron:ipc")
	if err != nil {
		t.Fatal(err)
	}
	pos.Set(4096)
	log := errorlog.New(f.ErrorLog(), func() int64 { return time.Now().UnixMilli() })
	log.Record(1, "invalid channel: aeron:bogus")
	log.Record(1, "invalid channel: aeron:bogus")

	props := map[string]string{"aeron.dir": dir}
	out := aeronjava.Run(t, aeronjava.Jar(t), props, 20*time.Second, "io.aeron.samples.AeronStat", "watch=false")
	for _, want := range []string{
		"123,456 - Bytes sent",
		"(CnC v0.2.0)",
		"Client liveness timeouts",
		"Control protocol version",
		"4,096 - pub-pos (exclusive): 42 7 1001 aeron:ipc",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("AeronStat output lacks %q:\n%s", want, out)
		}
	}
	out = aeronjava.Run(t, aeronjava.Jar(t), props, 20*time.Second, "io.aeron.samples.ErrorStat")
	if !strings.Contains(out, "2 observations") || !strings.Contains(out, "invalid channel: aeron:bogus") {
		t.Errorf("ErrorStat output:\n%s", out)
	}
}
