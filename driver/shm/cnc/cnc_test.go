package cnc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

func TestCreateOpen(t *testing.T) {
	dir := t.TempDir()
	p := Params{
		Lengths:               Lengths{ToDriver: 1<<16 + 768, ToClients: 1<<16 + 128, CounterMetadata: 4 * 8192, CounterValues: 8192, ErrorLog: 4096},
		ClientLivenessTimeout: 10 * time.Second, StartTimestampMs: 1234, PID: 42, FilePageSize: 4096,
	}
	f, err := CreateFile(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := OpenTimeout(dir, 20*time.Millisecond); !errors.Is(err, ErrNotReady) {
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
	if _, err := OpenTimeout(t.TempDir(), 30*time.Millisecond); !errors.Is(err, ErrNotReady) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTimeout(empty, 0); !errors.Is(err, ErrNotReady) {
		t.Fatalf("empty file: %v", err)
	}
	if VersionString(Version) != "0.2.0" || Version != 0x200 {
		t.Fatal("version")
	}
}

func TestCreatePublishesAndIsDriverActive(t *testing.T) {
	dir := t.TempDir()
	l := Lengths{ToDriver: 1<<10 + 768, ToClients: 1<<10 + 128, CounterMetadata: 4 * 1024, CounterValues: 1024, ErrorLog: 1024}
	f, err := Create(dir, l, int64(10*time.Second), 1, 77, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, err := os.Stat(f.Path()); err != nil || st.Size()%4096 != 0 || st.Size() < int64(MetadataLength+l.ToDriver+l.ToClients+l.CounterMetadata+l.CounterValues+l.ErrorLog) {
		t.Fatalf("file length: %v %v", st, err)
	}
	if _, err := Create(dir, l, 0, 0, 0, 4096); err == nil {
		t.Fatal("created over an existing cnc.dat")
	}
	rb, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	active, _, _, err := IsDriverActive(dir, time.Second)
	if err != nil || active {
		t.Fatalf("no heartbeat yet, active=%v err=%v", active, err)
	}
	rb.SetConsumerHeartbeatTime(time.Now().UnixMilli())
	active, pid, hb, err := IsDriverActive(dir, time.Second)
	if err != nil || !active || pid != 77 || hb <= 0 {
		t.Fatalf("active=%v pid=%d hb=%d err=%v", active, pid, hb, err)
	}
}

func TestOpenRejectsOtherMajorVersion(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateFile(dir, Params{Lengths: Lengths{ToDriver: 1<<10 + 768, ToClients: 1<<10 + 128, CounterMetadata: 4096, CounterValues: 1024, ErrorLog: 1024}, FilePageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.buf.PutInt32Ordered(versionOffset, 1<<16)
	_, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "cnc version 1.0.0 is incompatible with 0.2.0") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzParseHeader feeds arbitrary cnc.dat contents to the header check a
// client runs: it must reject, never panic, and accepted sections must fit.
func FuzzParseHeader(f *testing.F) {
	good := make([]byte, 4096)
	b := shm.NewAtomicBuffer(good)
	b.PutInt32(versionOffset, Version)
	b.PutInt32(toDriverLengthOffset, 1024)
	b.PutInt32(toClientsLengthOffset, 1024)
	b.PutInt32(counterMetadataLengthOffset, 1024)
	b.PutInt32(counterValuesLengthOffset, 256)
	b.PutInt32(errorLogLengthOffset, 512)
	f.Add(good[:MetadataLength], 4096)
	f.Add([]byte{0, 0, 1, 0}, 128)
	f.Fuzz(func(t *testing.T, header []byte, length int) {
		if length < 0 || length > 1<<16 {
			return
		}
		buf := make([]byte, max(length, len(header)))
		copy(buf, header)
		l, err := parseHeader(shm.NewAtomicBuffer(buf))
		if err != nil {
			return
		}
		fl := &File{buf: shm.NewAtomicBuffer(buf), lengths: l}
		_ = fl.ToDriver().Capacity() + fl.ToClients().Capacity() + fl.CountersMetadata().Capacity() +
			fl.CountersValues().Capacity() + fl.ErrorLog().Capacity() + int(fl.DriverHeartbeatMs())
	})
}
