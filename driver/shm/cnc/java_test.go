package cnc_test

import (
	"encoding/binary"
	"fmt"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"path/filepath"
	"strings"
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
	// Aeron's driver appends to some labels after it publishes cnc.dat, so
	// compare until they agree or a bounded wait ends.
	var mismatches []string
	for attempt := 0; attempt < 50; attempt++ {
		mismatches = compareSystemCounters(reader)
		if len(mismatches) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range mismatches {
		t.Error(m)
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
	if !ring.Write(0x09, msg) {
		t.Fatal("write refused")
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
	if reader.CounterLabel(counterID) != label || reader.CounterTypeID(counterID) != 1001 || reader.RegistrationID(counterID) != correlationID || reader.OwnerID(counterID) != clientID {
		t.Fatalf("counter %d: label %q type %d reg %d owner %d", counterID, reader.CounterLabel(counterID), reader.CounterTypeID(counterID), reader.RegistrationID(counterID), reader.OwnerID(counterID))
	}
	// The client heartbeat counter the driver announced for us.
	hbID := reader.FindByTypeIDAndRegistrationID(counters.TypeClientHeartbeat, clientID)
	if hbID < 0 {
		t.Fatal("no client heartbeat counter allocated by the Java driver")
	}
	// Our manager labels and keys it as Aeron's driver does.
	now := int64(1)
	ours := counters.NewManager(shm.NewAtomicBuffer(make([]byte, 4*counters.MetadataLength)), shm.NewAtomicBuffer(make([]byte, 4*counters.ValueLength)), func() int64 { return now }, 0)
	hc, err := ours.AllocateClientHeartbeat(clientID, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reader.CounterLabel(hbID), ours.Reader().CounterLabel(hc.ID()); got != want {
		t.Errorf("client heartbeat label: Aeron %q, ours %q", got, want)
	}
	if got, want := reader.Key(hbID)[:8], ours.Reader().Key(hc.ID())[:8]; string(got) != string(want) {
		t.Errorf("client heartbeat key: Aeron % x, ours % x", got, want)
	}
	comparePublicationCounters(t, ring, copier, reader, clientID)

	time.Sleep(1100 * time.Millisecond)
	if f.DriverHeartbeatMs() <= hb {
		t.Fatal("driver heartbeat did not advance")
	}
}

// compareSystemCounters lists how the system counters in reader differ from
// those our driver writes.
func compareSystemCounters(reader *counters.Reader) []string {
	var diffs []string
	n := 0
	reader.ForEach(func(id, typ int32, _ []byte, label string) {
		if typ != counters.TypeSystem {
			return
		}
		n++
		if int(id) >= len(counters.SystemLabels) {
			diffs = append(diffs, fmt.Sprintf("Aeron has system counter %d %q, we do not", id, label))
			return
		}
		want := counters.SystemLabels[id]
		switch id {
		case counters.ConductorMaxCycleTimeID, counters.SenderMaxCycleTimeID, counters.ReceiverMaxCycleTimeID:
			want += ": SHARED"
		case counters.ConductorCycleTimeThresholdExceededID, counters.SenderCycleTimeThresholdExceededID, counters.ReceiverCycleTimeThresholdExceededID:
			want += ": threshold=100ms SHARED"
		case counters.NameResolverTimeThresholdExceededID:
			want += ": threshold=5s"
		case counters.ResolutionChangesID:
			want += ": driverName=null"
		case counters.ErrorsID, counters.AeronVersionID:
			// Version and commit differ; the text before them must not.
			want = want[:strings.Index(want, "version=")]
			label = label[:min(len(label), len(want))]
		}
		if label != want {
			diffs = append(diffs, fmt.Sprintf("system counter %d: Aeron %q, ours %q", id, label, want))
		}
	})
	if n != len(counters.SystemLabels) {
		diffs = append(diffs, fmt.Sprintf("Aeron has %d system counters, we have %d", n, len(counters.SystemLabels)))
	}
	return diffs
}

// comparePublicationCounters adds an IPC publication through the ring and
// checks that the pub-lmt and pub-pos counters Aeron's driver allocates
// for it carry the keys and labels our AllocatePosition writes.
func comparePublicationCounters(t *testing.T, ring *ringbuffer.ManyToOne, copier *broadcast.CopyReceiver, reader *counters.Reader, clientID int64) {
	t.Helper()
	const channel, streamID = "aeron:ipc", 1001
	correlationID := ring.NextCorrelationID()
	msg := make([]byte, 24+len(channel))
	binary.LittleEndian.PutUint64(msg[0:], uint64(clientID))
	binary.LittleEndian.PutUint64(msg[8:], uint64(correlationID))
	binary.LittleEndian.PutUint32(msg[16:], streamID)
	binary.LittleEndian.PutUint32(msg[20:], uint32(len(channel)))
	copy(msg[24:], channel)
	if !ring.Write(0x01, msg) { // ADD_PUBLICATION (§7)
		t.Fatal("write refused")
	}
	ready := false
	for deadline := time.Now().Add(10 * time.Second); !ready && time.Now().Before(deadline); {
		if _, err := copier.Receive(func(typ int32, b []byte) {
			ready = ready || (typ == 0x0F03 && int64(binary.LittleEndian.Uint64(b)) == correlationID) // ON_PUBLICATION_READY
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if !ready {
		t.Fatal("no ON_PUBLICATION_READY from the Java driver")
	}
	now := int64(1)
	ours := counters.NewManager(shm.NewAtomicBuffer(make([]byte, 8*counters.MetadataLength)), shm.NewAtomicBuffer(make([]byte, 8*counters.ValueLength)), func() int64 { return now }, 0)
	compareSubscriberPosition(t, ring, copier, reader, ours, clientID)
	for _, c := range []struct {
		typeID int32
		name   string
	}{{counters.TypePublisherLimit, counters.NamePublisherLimit}, {counters.TypePublisherPosition, counters.NamePublisherPosConcurrent}} {
		id := reader.FindByTypeIDAndRegistrationID(c.typeID, correlationID)
		if id < 0 {
			t.Errorf("no %s counter from the Java driver", c.name)
			continue
		}
		key := reader.Key(id)
		sessionID := int32(binary.LittleEndian.Uint32(key[8:]))
		mine, err := ours.AllocatePosition(c.typeID, c.name, correlationID, sessionID, streamID, channel)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := reader.CounterLabel(id), ours.Reader().CounterLabel(mine.ID()); got != want {
			t.Errorf("%s label: Aeron %q, ours %q", c.name, got, want)
		}
		if got, want := key, ours.Reader().Key(mine.ID()); string(got) != string(want) {
			t.Errorf("%s key: Aeron % x, ours % x", c.name, got[:32], want[:32])
		}
	}
}

// compareSubscriberPosition subscribes to the IPC stream the publication
// above offers, and compares the sub-pos counter of the image Aeron's
// driver announces with the one AllocateSubscriberPosition writes.
func compareSubscriberPosition(t *testing.T, ring *ringbuffer.ManyToOne, copier *broadcast.CopyReceiver, reader *counters.Reader, ours *counters.Manager, clientID int64) {
	t.Helper()
	const channel, streamID = "aeron:ipc", 1001
	correlationID := ring.NextCorrelationID()
	msg := make([]byte, 32+len(channel))
	binary.LittleEndian.PutUint64(msg[0:], uint64(clientID))
	binary.LittleEndian.PutUint64(msg[8:], uint64(correlationID))
	binary.LittleEndian.PutUint64(msg[16:], ^uint64(0)) // registration correlation id -1
	binary.LittleEndian.PutUint32(msg[24:], streamID)
	binary.LittleEndian.PutUint32(msg[28:], uint32(len(channel)))
	copy(msg[32:], channel)
	if !ring.Write(0x04, msg) { // ADD_SUBSCRIPTION (§7)
		t.Fatal("write refused")
	}
	subPosID := int32(-1)
	var sessionID int32
	for deadline := time.Now().Add(10 * time.Second); subPosID < 0 && time.Now().Before(deadline); {
		if _, err := copier.Receive(func(typ int32, b []byte) {
			// ON_AVAILABLE_IMAGE for our subscription.
			if typ == 0x0F02 && len(b) >= 28 && int64(binary.LittleEndian.Uint64(b[16:])) == correlationID {
				sessionID = int32(binary.LittleEndian.Uint32(b[8:]))
				subPosID = int32(binary.LittleEndian.Uint32(b[24:]))
			}
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if subPosID < 0 {
		t.Fatal("no ON_AVAILABLE_IMAGE from the Java driver")
	}
	mine, err := ours.AllocateSubscriberPosition(correlationID, clientID, sessionID, streamID, channel, reader.CounterValue(subPosID))
	if err != nil {
		t.Fatal(err)
	}
	r := ours.Reader()
	if got, want := reader.CounterLabel(subPosID), r.CounterLabel(mine.ID()); got != want {
		t.Errorf("sub-pos label: Aeron %q, ours %q", got, want)
	}
	if got, want := reader.Key(subPosID), r.Key(mine.ID()); string(got) != string(want) {
		t.Errorf("sub-pos key: Aeron % x, ours % x", got[:32], want[:32])
	}
	if reader.CounterTypeID(subPosID) != counters.TypeSubscriberPosition || reader.RegistrationID(subPosID) != correlationID || reader.OwnerID(subPosID) != clientID {
		t.Errorf("sub-pos type %d registration %d owner %d", reader.CounterTypeID(subPosID), reader.RegistrationID(subPosID), reader.OwnerID(subPosID))
	}
}
