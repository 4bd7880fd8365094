package counters

import (
	"encoding/binary"
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
