package counters

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func newManager(t *testing.T, n int, now *int64) *Manager {
	t.Helper()
	meta := shm.NewAtomicBuffer(make([]byte, n*MetadataLength))
	values := shm.NewAtomicBuffer(make([]byte, n*ValueLength))
	return NewManager(meta, values, func() int64 { return *now }, 1000)
}

func TestAllocateFreeReuse(t *testing.T) {
	now := int64(5000)
	m := newManager(t, 4, &now)
	r := m.Reader()
	a, _ := m.Allocate(1, []byte{1, 2}, "first")
	b, _ := m.Allocate(2, nil, "second")
	if a != 0 || b != 1 || r.CounterLabel(0) != "first" || r.CounterTypeID(1) != 2 || r.CounterState(0) != StateAllocated {
		t.Fatalf("ids %d %d label %q", a, b, r.CounterLabel(0))
	}
	m.Counter(a).Set(42)
	m.Free(a)
	if r.CounterState(a) != StateReclaimed {
		t.Fatal("not reclaimed")
	}
	c, _ := m.Allocate(3, nil, "third")
	if c != 2 {
		t.Fatalf("freed id reused before its timeout: %d", c)
	}
	now += 1000
	d, _ := m.Allocate(4, nil, "fourth")
	if d != a || r.CounterValue(d) != 0 || r.CounterLabel(d) != "fourth" {
		t.Fatalf("id %d value %d", d, r.CounterValue(d))
	}
	if _, err := m.Allocate(5, nil, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Allocate(6, nil, "y"); err != ErrFull {
		t.Fatalf("full: %v", err)
	}
	var seen []string
	r.ForEach(func(id, typ int32, key []byte, label string) { seen = append(seen, label) })
	if len(seen) != 4 {
		t.Fatalf("ForEach saw %v", seen)
	}
}

func TestSystemCountersAndStreams(t *testing.T) {
	now := int64(1)
	m := newManager(t, 128, &now)
	s, err := AllocateSystemCounters(m, "1.0.0", "abc", 1, 0, 0, "SHARED", "100ms")
	if err != nil {
		t.Fatal(err)
	}
	r := m.Reader()
	if r.CounterLabel(ErrorsID) != "Errors: version=1.0.0 commit=abc" || r.CounterLabel(ClientTimeoutsID) != "Client liveness timeouts" ||
		r.CounterValue(ControlProtocolVersionID) != 65536 || r.RegistrationID(43) != 43 || r.OwnerID(0) != -1 {
		t.Fatalf("system counters wrong: %q", r.CounterLabel(ErrorsID))
	}
	if binary.LittleEndian.Uint32(r.Key(24)) != 24 {
		t.Fatal("system counter key")
	}
	s.BytesSent.Add(10)
	if r.CounterValue(BytesSentID) != 10 {
		t.Fatal("add")
	}
	c, err := m.AllocateStream(TypeSubscriberPosition, "sub-pos", 7, 3, 11, 1001, "aeron:ipc", "@0")
	if err != nil {
		t.Fatal(err)
	}
	if r.CounterLabel(c.ID()) != "sub-pos: 7 11 1001 aeron:ipc @0" || r.RegistrationID(c.ID()) != 7 || r.OwnerID(c.ID()) != 3 {
		t.Fatalf("stream counter %q", r.CounterLabel(c.ID()))
	}
	key := r.Key(c.ID())
	if binary.LittleEndian.Uint64(key) != 7 || binary.LittleEndian.Uint32(key[12:]) != 1001 || string(key[20:29]) != "aeron:ipc" {
		t.Fatal("stream key layout")
	}
	if r.FindByTypeIDAndRegistrationID(TypeSubscriberPosition, 7) != c.ID() {
		t.Fatal("find")
	}
}

func TestPositionLabelsAndKeys(t *testing.T) {
	now := int64(1)
	m := newManager(t, 16, &now)
	r := m.Reader()
	pub, err := m.AllocatePosition(TypePublisherPosition, NamePublisherPosSampled, 42, 1, 1, "aeron:ipc")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.CounterLabel(pub.ID()); got != "pub-pos (sampled): 42 1 1 aeron:ipc" {
		t.Fatalf("label %q", got)
	}
	m.SetCounterOwnerID(pub.ID(), 9)
	m.SetCounterReferenceID(pub.ID(), 8)
	if r.OwnerID(pub.ID()) != 9 || r.ReferenceID(pub.ID()) != 8 || r.CounterTypeID(pub.ID()) != TypePublisherPosition {
		t.Fatal("ids")
	}
	sub, err := m.AllocateSubscriberPosition(43, 9, -5, 1001, "aeron:udp?endpoint=localhost:20121", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.CounterLabel(sub.ID()); got != "sub-pos: 43 -5 1001 aeron:udp?endpoint=localhost:20121 @4096" {
		t.Fatalf("label %q", got)
	}
	if int32(binary.LittleEndian.Uint32(r.Key(sub.ID())[8:])) != -5 {
		t.Fatal("session id in key")
	}
	long := "aeron:udp?endpoint=localhost:20121|alias=" + strings.Repeat("x", 400)
	lc, err := m.AllocatePosition(TypeSenderPosition, NameSenderPosition, 1, 2, 3, long)
	if err != nil {
		t.Fatal(err)
	}
	// The key holds at most 92 channel bytes (§6.4); the label up to 380.
	if binary.LittleEndian.Uint32(r.Key(lc.ID())[16:]) != 92 || len(r.CounterLabel(lc.ID())) != MaxLabelLength {
		t.Fatalf("truncation: key %d label %d", binary.LittleEndian.Uint32(r.Key(lc.ID())[16:]), len(r.CounterLabel(lc.ID())))
	}
	hb, err := m.AllocateClientHeartbeat(77, 1234)
	if err != nil {
		t.Fatal(err)
	}
	if r.CounterLabel(hb.ID()) != "client-heartbeat: id=77" || hb.Get() != 1234 || r.RegistrationID(hb.ID()) != 77 ||
		r.FindByTypeIDAndRegistrationID(TypeClientHeartbeat, 77) != hb.ID() || binary.LittleEndian.Uint64(r.Key(hb.ID())) != 77 {
		t.Fatalf("heartbeat counter %q", r.CounterLabel(hb.ID()))
	}
	cs, err := m.AllocateChannelStatus(TypeSendChannelStatus, NameSendChannelStatus, 5, "aeron:udp?endpoint=x:1")
	if err != nil {
		t.Fatal(err)
	}
	if r.CounterLabel(cs.ID()) != "snd-channel: aeron:udp?endpoint=x:1" || cs.Get() != ChannelStatusInitializing ||
		binary.LittleEndian.Uint32(r.Key(cs.ID())) != uint32(len("aeron:udp?endpoint=x:1")) {
		t.Fatalf("channel status %q", r.CounterLabel(cs.ID()))
	}
	if r.FindByTypeIDAndRegistrationID(TypeReceiverHWM, 42) != NullCounterID {
		t.Fatal("found a counter that does not exist")
	}
	if n := testing.AllocsPerRun(100, func() { r.FindByTypeIDAndRegistrationID(TypeClientHeartbeat, 77) }); n != 0 {
		t.Fatalf("lookup allocates %v", n)
	}
}

func TestCounterOperations(t *testing.T) {
	now := int64(1)
	m := newManager(t, 4, &now)
	id, _ := m.Allocate(1, nil, "c")
	c := m.Counter(id)
	c.SetOrdered(10)
	c.Add(5)
	c.Increment()
	if c.GetVolatile() != 16 || m.Reader().CounterValue(id) != 16 {
		t.Fatalf("value %d", c.Get())
	}
	if c.ProposeMax(3) || !c.ProposeMaxOrdered(20) || c.Get() != 20 {
		t.Fatal("propose max")
	}
	if n := testing.AllocsPerRun(1000, func() {
		c.Increment()
		c.ProposeMax(c.Get() + 1)
		c.Set(c.GetVolatile())
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
	m.Free(id)
	m.Free(id) // twice is harmless
	m.Free(99) // out of range too
	if m.Reader().CounterState(id) != StateReclaimed {
		t.Fatal("state")
	}
}

func TestSystemCounterFieldsFollowIDs(t *testing.T) {
	now := int64(1)
	m := newManager(t, 64, &now)
	s, err := AllocateSystemCounters(m, "1.0.0", "abc", 1, 0, 0, "DEDICATED", "1ms")
	if err != nil {
		t.Fatal(err)
	}
	fields := s.all()
	for i, f := range fields {
		if f.ID() != int32(i) || s.Get(i).ID() != int32(i) {
			t.Fatalf("field %d holds counter %d", i, f.ID())
		}
	}
	if s.ClientTimeouts.ID() != ClientTimeoutsID || s.ControlProtocolVersion.ID() != 43 || s.Get(-1).Valid() || s.Get(systemCounterCount).Valid() {
		t.Fatal("named fields")
	}
	if _, err := AllocateSystemCounters(m, "1.0.0", "abc", 1, 0, 0, "DEDICATED", "1ms"); err == nil {
		t.Fatal("system counters allocated twice")
	}
}

// FuzzReader reads arbitrary metadata as a tool reading a damaged cnc.dat
// would: it must never panic.
func FuzzReader(f *testing.F) {
	now := int64(1)
	meta := make([]byte, 4*MetadataLength)
	values := make([]byte, 4*ValueLength)
	m := NewManager(shm.NewAtomicBuffer(meta), shm.NewAtomicBuffer(values), func() int64 { return now }, 0)
	if _, err := m.AllocatePosition(TypeSubscriberPosition, NameSubscriberPosition, 1, 2, 3, "aeron:ipc"); err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), meta...))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		meta := make([]byte, alignRecords(len(data)))
		copy(meta, data)
		r := NewReader(shm.NewAtomicBuffer(meta), shm.NewAtomicBuffer(make([]byte, len(meta)/MetadataLength*ValueLength)))
		r.ForEach(func(id, typeID int32, key []byte, label string) {
			_ = r.CounterValue(id) + r.RegistrationID(id)
		})
		_ = r.FindByTypeIDAndRegistrationID(4, 1)
	})
}

// alignRecords rounds n up to whole metadata records.
func alignRecords(n int) int { return (n + MetadataLength - 1) / MetadataLength * MetadataLength }

func TestAppendToLabel(t *testing.T) {
	now := int64(0)
	meta := shm.NewAtomicBuffer(make([]byte, 3*MetadataLength))
	m := NewManager(meta, shm.NewAtomicBuffer(make([]byte, 3*ValueLength)), func() int64 { return now }, 1000)
	r := m.Reader()
	id, _ := m.Allocate(11, nil, "client-heartbeat: id=7")
	if n, err := AppendToLabel(meta, id, " name=pricer"); err != nil || n != 12 || r.CounterLabel(id) != "client-heartbeat: id=7 name=pricer" {
		t.Fatalf("appended %d, %v: %q", n, err, r.CounterLabel(id))
	}
	// Only what fits.
	n, err := AppendToLabel(meta, id, strings.Repeat("x", MaxLabelLength))
	if err != nil || len(r.CounterLabel(id)) != MaxLabelLength || n != MaxLabelLength-len("client-heartbeat: id=7 name=pricer") {
		t.Fatalf("appended %d, %v: label of %d", n, err, len(r.CounterLabel(id)))
	}
	if n, err := AppendToLabel(meta, id, "more"); err != nil || n != 0 {
		t.Fatalf("full label: appended %d, %v", n, err)
	}
	// Not on a counter that is not allocated, nor beyond the buffer.
	if _, err := AppendToLabel(meta, 1, "x"); err == nil {
		t.Fatal("appended to an unused counter")
	}
	for _, bad := range []int32{-1, 3} {
		if _, err := AppendToLabel(meta, bad, "x"); err == nil {
			t.Fatalf("appended to counter %d", bad)
		}
	}
}

// An id beyond the buffers reads as an unused record rather than panicking:
// ids come from clients and tools.
func TestReaderOutOfRange(t *testing.T) {
	now := int64(0)
	r := newManager(t, 2, &now).Reader()
	for _, id := range []int32{NullCounterID, 2, 1 << 30} {
		if r.CounterValue(id) != 0 || r.CounterState(id) != StateUnused || r.CounterTypeID(id) != 0 ||
			r.RegistrationID(id) != 0 || r.OwnerID(id) != 0 || r.ReferenceID(id) != 0 || r.Key(id) != nil || r.CounterLabel(id) != "" {
			t.Fatalf("id %d", id)
		}
	}
}
