package counters

import (
	"errors"
	"fmt"
	"math"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Record layouts.
const (
	ValueLength    = 128
	MetadataLength = 512

	valueOffset          = 0
	registrationIDOffset = 8
	ownerIDOffset        = 16
	referenceIDOffset    = 24

	stateOffset         = 0
	typeIDOffset        = 4
	freeForReuseOffset  = 8
	keyOffset           = 16
	labelLengthOffset   = 128
	labelOffset         = 132
	MaxKeyLength        = 112
	MaxLabelLength      = 380
	DefaultRegistration = 0
)

// Record states.
const (
	StateUnused    = 0
	StateAllocated = 1
	StateReclaimed = -1
)

// NullCounterID means no counter.
const NullCounterID = -1

// Type ids of the counters the driver allocates (aeron_counters.h).
const (
	TypeSystem                      = 0
	TypePublisherLimit              = 1
	TypeSenderPosition              = 2
	TypeReceiverHWM                 = 3
	TypeSubscriberPosition          = 4
	TypeReceiverPosition            = 5
	TypeSendChannelStatus           = 6
	TypeReceiveChannelStatus        = 7
	TypeSenderLimit                 = 9
	TypePerImage                    = 10
	TypeClientHeartbeat             = 11
	TypePublisherPosition           = 12
	TypeSenderBPE                   = 13
	TypeLocalSockaddr               = 14
	TypeFlowControlReceivers        = 17
	TypeMDCDestinations             = 18
	TypeSenderNaksReceived          = 19
	TypeReceiverNaksSent            = 20
	ChannelStatusInitializing       = 0
	ChannelStatusActive             = 1
	ChannelStatusClosing            = 2
	ChannelStatusErrored            = -1
	notFreeDeadline           int64 = math.MaxInt64
)

// ErrFull means every counter id is in use.
var ErrFull = errors.New("counters buffer full")

// Manager allocates and frees counters. Only the driver's conductor uses it.
type Manager struct {
	meta, values shm.AtomicBuffer
	maxID        int32
	highWater    int32
	free         []int32
	clock        func() int64
	reuseMs      int64
}

// NewManager manages the counters in meta and values. clock returns epoch
// milliseconds; a freed id is reused after freeToReuseMs. The number of
// counters is what both buffers can hold (values of 128 bytes, metadata of
// 512 bytes each, §6.1).
func NewManager(meta, values shm.AtomicBuffer, clock func() int64, freeToReuseMs int64) *Manager {
	maxID := int32(min(values.Capacity()/ValueLength, meta.Capacity()/MetadataLength)) - 1
	return &Manager{meta: meta, values: values, maxID: maxID, highWater: -1, clock: clock, reuseMs: freeToReuseMs}
}

// Allocate takes a counter id, writes its type, key and label, and publishes
// it as allocated.
func (m *Manager) Allocate(typeID int32, key []byte, label string) (int32, error) {
	id, err := m.nextID()
	if err != nil {
		return NullCounterID, err
	}
	vo := int(id) * ValueLength
	m.values.PutInt64Ordered(vo+registrationIDOffset, DefaultRegistration)
	m.values.PutInt64Ordered(vo+ownerIDOffset, 0)
	m.values.PutInt64Ordered(vo+referenceIDOffset, 0)
	m.values.PutInt64Ordered(vo+valueOffset, 0)
	mo := int(id) * MetadataLength
	m.meta.PutInt32(mo+typeIDOffset, typeID)
	m.meta.PutInt64Ordered(mo+freeForReuseOffset, notFreeDeadline)
	m.meta.SetMemory(mo+keyOffset, MaxKeyLength, 0)
	if len(key) > MaxKeyLength {
		key = key[:MaxKeyLength]
	}
	m.meta.PutBytes(mo+keyOffset, key)
	if len(label) > MaxLabelLength {
		label = label[:MaxLabelLength]
	}
	m.meta.SetMemory(mo+labelOffset, MaxLabelLength, 0)
	copy(m.meta.Bytes()[mo+labelOffset:], label)
	m.meta.PutInt32(mo+labelLengthOffset, int32(len(label)))
	m.meta.PutInt32Ordered(mo+stateOffset, StateAllocated)
	return id, nil
}

func (m *Manager) nextID() (int32, error) {
	now := m.clock()
	for i, id := range m.free {
		if m.meta.GetInt64Volatile(int(id)*MetadataLength+freeForReuseOffset) <= now {
			m.free = append(m.free[:i], m.free[i+1:]...)
			return id, nil
		}
	}
	if m.highWater >= m.maxID {
		return NullCounterID, ErrFull
	}
	m.highWater++
	return m.highWater, nil
}

// Free reclaims a counter; its id is reused after the free-to-reuse timeout.
func (m *Manager) Free(id int32) {
	if id < 0 || id > m.highWater {
		return
	}
	mo := int(id) * MetadataLength
	if m.meta.GetInt32Volatile(mo+stateOffset) != StateAllocated {
		return
	}
	m.meta.PutInt32Ordered(mo+stateOffset, StateReclaimed)
	m.meta.SetMemory(mo+keyOffset, MaxKeyLength, 0)
	m.meta.PutInt64Ordered(mo+freeForReuseOffset, m.clock()+m.reuseMs)
	m.free = append(m.free, id)
}

// SetRegistrationID, SetOwnerID and SetReferenceID fill a counter's ids.
func (m *Manager) SetCounterRegistrationID(id int32, v int64) {
	m.values.PutInt64Ordered(int(id)*ValueLength+registrationIDOffset, v)
}

// SetOwnerID sets the owning client id (-1 for system and static counters).
func (m *Manager) SetCounterOwnerID(id int32, v int64) {
	m.values.PutInt64Ordered(int(id)*ValueLength+ownerIDOffset, v)
}

// SetReferenceID sets the reference id (e.g. the publication of a sub-pos).
func (m *Manager) SetCounterReferenceID(id int32, v int64) {
	m.values.PutInt64Ordered(int(id)*ValueLength+referenceIDOffset, v)
}

// Counter returns a handle on a counter's value.
func (m *Manager) Counter(id int32) Counter {
	return Counter{buf: m.values, off: int(id) * ValueLength, id: id}
}

// Reader returns a reader over the same buffers.
func (m *Manager) Reader() *Reader { return NewReader(m.meta, m.values) }

// Counter is a handle on one counter's value.
type Counter struct {
	buf shm.AtomicBuffer
	off int
	id  int32
}

// ID is the counter id.
func (c Counter) ID() int32 { return c.id }

// Get loads the value.
func (c Counter) Get() int64 { return c.buf.GetInt64Volatile(c.off) }

// Set stores the value with release order.
func (c Counter) Set(v int64) { c.buf.PutInt64Ordered(c.off, v) }

// GetVolatile reads the value with acquire order (as Get does).
func (c Counter) GetVolatile() int64 { return c.buf.GetInt64Volatile(c.off) }

// SetOrdered writes the value with release order (as Set does).
func (c Counter) SetOrdered(v int64) { c.buf.PutInt64Ordered(c.off, v) }

// Add adds delta atomically.
func (c Counter) Add(delta int64) { c.buf.GetAndAddInt64(c.off, delta) }

// Increment adds one.
func (c Counter) Increment() { c.buf.GetAndAddInt64(c.off, 1) }

// ProposeMax raises the value to v if v is larger; only for a single writer.
func (c Counter) ProposeMax(v int64) bool {
	if v > c.buf.GetInt64(c.off) {
		c.buf.PutInt64Ordered(c.off, v)
		return true
	}
	return false
}

// ProposeMaxOrdered is ProposeMax; every store here is ordered.
func (c Counter) ProposeMaxOrdered(v int64) bool { return c.ProposeMax(v) }

// Valid reports whether the handle refers to a counter.
func (c Counter) Valid() bool { return c.buf.Capacity() > 0 }

// Reader reads counters, as clients and tools do.
type Reader struct {
	meta, values shm.AtomicBuffer
	maxID        int32
}

// NewReader reads the counters in meta and values.
func NewReader(meta, values shm.AtomicBuffer) *Reader {
	maxID := int32(values.Capacity()/ValueLength) - 1
	if m := int32(meta.Capacity()/MetadataLength) - 1; m < maxID {
		maxID = m
	}
	return &Reader{meta: meta, values: values, maxID: maxID}
}

// MaxCounterID is the largest id the buffers can hold.
func (r *Reader) MaxCounterID() int32 { return r.maxID }

// ForEach calls fn for every allocated counter, stopping at the first
// never-used record as Aeron's readers do.
func (r *Reader) ForEach(fn func(id, typeID int32, key []byte, label string)) {
	for id := int32(0); id <= r.maxID; id++ {
		mo := int(id) * MetadataLength
		state := r.meta.GetInt32Volatile(mo + stateOffset)
		if state == StateUnused {
			return
		}
		if state != StateAllocated {
			continue
		}
		fn(id, r.meta.GetInt32(mo+typeIDOffset), r.meta.Bytes()[mo+keyOffset:mo+keyOffset+MaxKeyLength], r.CounterLabel(id))
	}
}

// The accessors below answer for an id beyond the buffers (NullCounterID,
// say) as for an unused record: zero, StateUnused, no key, no label.

func (r *Reader) valid(id int32) bool { return id >= 0 && id <= r.maxID }

// CounterValue is a counter's value.
func (r *Reader) CounterValue(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return r.values.GetInt64Volatile(int(id) * ValueLength)
}

// CounterState is a counter's state.
func (r *Reader) CounterState(id int32) int32 {
	if !r.valid(id) {
		return StateUnused
	}
	return r.meta.GetInt32Volatile(int(id)*MetadataLength + stateOffset)
}

// CounterTypeID is a counter's type.
func (r *Reader) CounterTypeID(id int32) int32 {
	if !r.valid(id) {
		return 0
	}
	return r.meta.GetInt32(int(id)*MetadataLength + typeIDOffset)
}

// RegistrationID is the counter's registration id.
func (r *Reader) RegistrationID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return r.values.GetInt64Volatile(int(id)*ValueLength + registrationIDOffset)
}

// OwnerID is the owning client id.
func (r *Reader) OwnerID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return r.values.GetInt64Volatile(int(id)*ValueLength + ownerIDOffset)
}

// ReferenceID is the counter's reference id.
func (r *Reader) ReferenceID(id int32) int64 {
	if !r.valid(id) {
		return 0
	}
	return r.values.GetInt64Volatile(int(id)*ValueLength + referenceIDOffset)
}

// Key is a view of a counter's key bytes.
func (r *Reader) Key(id int32) []byte {
	if !r.valid(id) {
		return nil
	}
	mo := int(id)*MetadataLength + keyOffset
	return r.meta.Bytes()[mo : mo+MaxKeyLength]
}

// CounterLabel is a counter's label.
func (r *Reader) CounterLabel(id int32) string {
	if !r.valid(id) {
		return ""
	}
	mo := int(id) * MetadataLength
	n := int(r.meta.GetInt32(mo + labelLengthOffset))
	if n < 0 || n > MaxLabelLength {
		return ""
	}
	return string(r.meta.Bytes()[mo+labelOffset : mo+labelOffset+n])
}

// Find returns the id of the allocated counter with this type and
// registration id, or NullCounterID.
func (r *Reader) FindByTypeIDAndRegistrationID(typeID int32, registrationID int64) int32 {
	// Walks the records without building labels, so looking up does not
	// allocate.
	for id := int32(0); id <= r.maxID; id++ {
		mo := int(id) * MetadataLength
		state := r.meta.GetInt32Volatile(mo + stateOffset)
		if state == StateUnused {
			break
		}
		if state == StateAllocated && r.meta.GetInt32(mo+typeIDOffset) == typeID && r.RegistrationID(id) == registrationID {
			return id
		}
	}
	return NullCounterID
}

// AppendToLabel appends s to the label of allocated counter id in the
// metadata buffer meta, as much of it as fits, and returns how many bytes
// it appended (AeronCounters.appendToLabel). Aeron's clients use it to add
// their name and version to their heartbeat counter's label.
func AppendToLabel(meta shm.AtomicBuffer, id int32, s string) (int, error) {
	mo := int(id) * MetadataLength
	if id < 0 || !meta.Valid(mo, MetadataLength) {
		return 0, fmt.Errorf("append to counter %d's label: no such counter", id)
	}
	if st := meta.GetInt32Volatile(mo + stateOffset); st != StateAllocated {
		return 0, fmt.Errorf("append to counter %d's label: state %d, not allocated", id, st)
	}
	n := int(meta.GetInt32(mo + labelLengthOffset))
	if n < 0 || n > MaxLabelLength {
		return 0, fmt.Errorf("append to counter %d's label: label length %d", id, n)
	}
	k := min(len(s), MaxLabelLength-n)
	copy(meta.Bytes()[mo+labelOffset+n:], s[:k])
	meta.PutInt32Ordered(mo+labelLengthOffset, int32(n+k))
	return k, nil
}
