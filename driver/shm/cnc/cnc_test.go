package cnc

import (
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

func TestCreateOpen(t *testing.T) {
	dir := t.TempDir()
	p := Params{
		Lengths:               Lengths{ToDriver: 1<<16 + 768, ToClients: 1<<16 + 128, CounterMetadata: 4 * 8192, CounterValues: 8192, ErrorLog: 4096},
		ClientLivenessTimeout: 10 * time.Second, StartTimestampMs: 1234, PID: 42, FilePageSize: 4096,
	}
	f, err := Create(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Open(dir); err == nil {
		t.Fatal("opened before ready")
	}
	rb, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	rb.SetConsumerHeartbeatTime(5000)
	f.Ready()
	g, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.PID() != 42 || g.StartTimestamp() != 1234 || g.ClientLivenessTimeout() != 10*time.Second ||
		g.ErrorLog().Capacity() != 4096 || g.CountersValues().Capacity() != 8192 || g.DriverHeartbeatMs() != 5000 {
		t.Fatalf("header mismatch")
	}
	if l, err := CheckDriver(dir, 10*time.Second, 6000); err != nil || !l.Active || l.PID != 42 {
		t.Fatalf("live driver not seen: %+v %v", l, err)
	}
	if l, _ := CheckDriver(dir, 10*time.Second, 60000); l.Active {
		t.Fatal("stale driver seen as live")
	}
	if l, err := CheckDriver(t.TempDir(), time.Second, 0); err != nil || l.Active {
		t.Fatal("empty dir")
	}
	if VersionString(Version) != "0.2.0" || Version != 0x200 {
		t.Fatal("version")
	}
}
