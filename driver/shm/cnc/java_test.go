package cnc_test

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestAgainstJavaDriver reads the cnc.dat of Aeron's own Java driver with
// our packages and talks to it through our ring and broadcast buffers: the
// layouts are right only if Aeron's driver understands us.
func TestAgainstJavaDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	dir := filepath.Join(t.TempDir(), "aeron")
	aeronjava.StartMediaDriver(t, dir, nil)
	f, err := cnc.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reader := counters.NewReader(f.CountersMetadata(), f.CountersValues())
	labels := map[int32]string{}
	reader.ForEach(func(id, typ int32, _ []byte, label string) {
		if typ == counters.TypeSystem {
			labels[id] = label
		}
	})
	if len(labels) < 40 {
		t.Fatalf("only %d system counters read", len(labels))
	}
	for id, label := range labels {
		want := counters.SystemLabels[id]
		switch id {
		case counters.ConductorMaxCycleTime, counters.SenderMaxCycleTime, counters.ReceiverMaxCycleTime:
			want += ": SHARED"
		case counters.ConductorCycleTimeThresholdExceeded, counters.SenderCycleTimeThresholdExceeded, counters.ReceiverCycleTimeThresholdExceeded:
			want += ": threshold=100ms SHARED"
		case counters.NameResolverTimeThresholdExceeded:
			want += ": threshold=5s"
		case counters.ResolutionChanges:
			want += ": driverName=null"
		}
		if id == counters.Errors || id == counters.AeronVersion {
			if len(label) < 10 || label[:10] != want[:10] {
				t.Errorf("system counter %d: Aeron %q, ours %q", id, label, want)
			}
			continue
		}
		if label != want {
			t.Errorf("system counter %d: Aeron %q, ours %q", id, label, want)
		}
	}
	hb := f.DriverHeartbeatMs()
	if hb <= 0 {
		t.Fatalf("heartbeat %d", hb)
	}

	// Add a counter through our ring buffer; Aeron's driver answers with
	// ON_COUNTER_READY on the broadcast buffer, read by our receiver.
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	rx, err := broadcast.NewReceiver(f.ToClients())
	if err != nil {
		t.Fatal(err)
	}
	copier := broadcast.NewCopyReceiver(rx)
	clientID := ring.NextCorrelationID()
	correlationID := ring.NextCorrelationID()
	label := "test-counter"
	msg := make([]byte, 16+4+4+0+4+len(label))
	binary.LittleEndian.PutUint64(msg[0:], uint64(clientID))
	binary.LittleEndian.PutUint64(msg[8:], uint64(correlationID))
	binary.LittleEndian.PutUint32(msg[16:], 1001) // type id
	binary.LittleEndian.PutUint32(msg[20:], 0)    // key length
	binary.LittleEndian.PutUint32(msg[24:], uint32(len(label)))
	copy(msg[28:], label)
	if err := ring.Write(0x09, msg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	counterID := int32(-1)
	for counterID < 0 && time.Now().Before(deadline) {
		_, err := copier.Receive(func(typ int32, b []byte) {
			if typ == 0x0F08 && int64(binary.LittleEndian.Uint64(b)) == correlationID {
				counterID = int32(binary.LittleEndian.Uint32(b[8:]))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if counterID < 0 {
		t.Fatal("no ON_COUNTER_READY from the Java driver")
	}
	if reader.Label(counterID) != label || reader.TypeID(counterID) != 1001 || reader.RegistrationID(counterID) != correlationID || reader.OwnerID(counterID) != clientID {
		t.Fatalf("counter %d: label %q type %d reg %d owner %d", counterID, reader.Label(counterID), reader.TypeID(counterID), reader.RegistrationID(counterID), reader.OwnerID(counterID))
	}
	// The client heartbeat counter the driver announced for us.
	if hbID := reader.Find(counters.TypeClientHeartbeat, clientID); hbID < 0 {
		t.Fatal("no client heartbeat counter allocated by the Java driver")
	}
	time.Sleep(1100 * time.Millisecond)
	if f.DriverHeartbeatMs() <= hb {
		t.Fatal("driver heartbeat did not advance")
	}
}
