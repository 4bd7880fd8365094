package broadcast

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Layout constants.
const (
	TrailerLength     = 128
	tailIntentOffset  = 0
	tailOffset        = 8
	latestOffset      = 16
	HeaderLength      = 8
	Alignment         = 8
	PaddingMsgTypeID  = -1
	lengthFieldOffset = 0
	typeFieldOffset   = 4
)

func checkCapacity(buf shm.AtomicBuffer) (int, error) {
	capacity := buf.Capacity() - TrailerLength
	if !shm.IsPowerOfTwo(capacity) {
		return 0, fmt.Errorf("broadcast capacity %d (length %d less the %d-byte trailer) is not a power of two", capacity, buf.Capacity(), TrailerLength)
	}
	return capacity, buf.CheckAlignment()
}

// Transmitter is the single producer.
type Transmitter struct {
	buf      shm.AtomicBuffer
	capacity int
	maxMsg   int
	trailer  int
}

// NewTransmitter wraps buf (a power of two plus the trailer).
func NewTransmitter(buf shm.AtomicBuffer) (*Transmitter, error) {
	c, err := checkCapacity(buf)
	if err != nil {
		return nil, err
	}
	return &Transmitter{buf: buf, capacity: c, maxMsg: c / 8, trailer: c}, nil
}

// MaxMsgLength is the largest payload Transmit accepts.
func (t *Transmitter) MaxMsgLength() int { return t.maxMsg }

// ErrTooLong is returned for payloads over MaxMsgLength.
var ErrTooLong = errors.New("broadcast message too long")

// Transmit publishes a record to every receiver.
func (t *Transmitter) Transmit(msgTypeID int32, src []byte) error {
	if len(src) > t.maxMsg {
		return ErrTooLong
	}
	if msgTypeID < 1 {
		return fmt.Errorf("message type id %d must be positive", msgTypeID)
	}
	tr := t.trailer
	tail := t.buf.GetInt64(tr + tailOffset)
	recordOffset := int(tail) & (t.capacity - 1)
	recordLength := len(src) + HeaderLength
	aligned := shm.AlignInt(recordLength, Alignment)
	newTail := tail + int64(aligned)
	toEnd := t.capacity - recordOffset
	if toEnd < aligned {
		t.buf.GetAndSetInt64(tr+tailIntentOffset, newTail+int64(toEnd))
		t.buf.PutInt32(recordOffset+lengthFieldOffset, int32(toEnd))
		t.buf.PutInt32(recordOffset+typeFieldOffset, PaddingMsgTypeID)
		tail += int64(toEnd)
		newTail += int64(toEnd)
		recordOffset = 0
	} else {
		t.buf.GetAndSetInt64(tr+tailIntentOffset, newTail)
	}
	t.buf.PutInt32(recordOffset+lengthFieldOffset, int32(recordLength))
	t.buf.PutInt32(recordOffset+typeFieldOffset, msgTypeID)
	t.buf.PutBytes(recordOffset+HeaderLength, src)
	t.buf.PutInt64Ordered(tr+latestOffset, tail)
	t.buf.PutInt64Ordered(tr+tailOffset, newTail)
	return nil
}

// Receiver follows a broadcast buffer from the latest record on.
type Receiver struct {
	buf         shm.AtomicBuffer
	capacity    int
	trailer     int
	cursor      int64
	next        int64
	recordOff   int
	lappedCount int64
	// resync is set when the current record was overwritten while being
	// read: the next record's position, derived from its length, is then
	// unknowable, so the receiver restarts from the latest record.
	resync bool
	// fence is a private word whose atomic update orders the plain reads
	// of a record before the re-read of the tail intent in validate.
	fence int64
}

// NewReceiver attaches to buf at its latest record.
func NewReceiver(buf shm.AtomicBuffer) (*Receiver, error) {
	c, err := checkCapacity(buf)
	if err != nil {
		return nil, err
	}
	r := &Receiver{buf: buf, capacity: c, trailer: c}
	r.cursor = buf.GetInt64Volatile(c + latestOffset)
	r.next = r.cursor
	r.recordOff = int(r.cursor) & (c - 1)
	return r, nil
}

// LappedCount counts the times the transmitter overtook this receiver.
func (r *Receiver) LappedCount() int64 { return r.lappedCount }

// ReceiveNext moves to the next record, reporting whether there is one.
func (r *Receiver) ReceiveNext() bool {
	tail := r.buf.GetInt64Volatile(r.trailer + tailOffset)
	cursor := r.next
	if tail <= cursor {
		return false
	}
	mask := r.capacity - 1
	recordOffset := int(cursor) & mask
	if r.resync || !r.validate(cursor) {
		// A resync was counted as a lap when the overwrite was seen.
		if !r.resync {
			r.lappedCount++
		}
		r.resync = false
		cursor = r.buf.GetInt64Volatile(r.trailer + latestOffset)
		recordOffset = int(cursor) & mask
	}
	r.cursor = cursor
	length := int(r.buf.GetInt32(recordOffset + lengthFieldOffset))
	r.next = cursor + int64(shm.AlignInt(length, Alignment))
	if r.buf.GetInt32(recordOffset+typeFieldOffset) == PaddingMsgTypeID {
		recordOffset = 0
		r.cursor = r.next
		length = int(r.buf.GetInt32(lengthFieldOffset))
		r.next += int64(shm.AlignInt(length, Alignment))
	}
	r.recordOff = recordOffset
	return true
}

// TypeID of the current record.
func (r *Receiver) TypeID() int32 { return r.buf.GetInt32(r.recordOff + typeFieldOffset) }

// Offset of the current record's payload.
func (r *Receiver) Offset() int { return r.recordOff + HeaderLength }

// Length of the current record's payload. It is read from memory the
// transmitter may be overwriting: check it against the buffer and call
// Validate after using the record (CopyReceiver does both).
func (r *Receiver) Length() int {
	return int(r.buf.GetInt32(r.recordOff+lengthFieldOffset)) - HeaderLength
}

// Buffer is the whole broadcast buffer.
func (r *Receiver) Buffer() shm.AtomicBuffer { return r.buf }

// Validate reports whether the current record is still intact after it was
// read (the transmitter has not lapped it meanwhile).
func (r *Receiver) Validate() bool {
	if !r.validate(r.cursor) {
		r.markLapped()
		return false
	}
	return true
}

func (r *Receiver) validate(cursor int64) bool {
	// Acquire fence (BroadcastReceiver.validate): a read-modify-write is a
	// full barrier on arm64 and amd64, unlike a plain atomic load.
	atomic.AddInt64(&r.fence, 1)
	return cursor+int64(r.capacity) > r.buf.GetInt64Volatile(r.trailer+tailIntentOffset)
}

// markLapped counts a lap once and makes the next ReceiveNext restart from
// the latest record.
func (r *Receiver) markLapped() {
	if !r.resync {
		r.resync = true
		r.lappedCount++
	}
}

// ErrLapped means records were lost because the receiver fell behind.
var ErrLapped = errors.New("unable to keep up with broadcast")

// CopyReceiver copies each record out before handing it over, so the
// handler never sees a record being overwritten.
type CopyReceiver struct {
	r       *Receiver
	scratch []byte
	lapped  int64
}

// NewCopyReceiver wraps r.
func NewCopyReceiver(r *Receiver) *CopyReceiver {
	return &CopyReceiver{r: r, scratch: make([]byte, 4096), lapped: r.LappedCount()}
}

// Receive delivers at most one record and returns how many it delivered.
func (c *CopyReceiver) Receive(handler func(msgTypeID int32, buf []byte)) (int, error) {
	if c.r.LappedCount() != c.lapped {
		c.lapped = c.r.LappedCount()
		return 0, ErrLapped
	}
	if !c.r.ReceiveNext() {
		if c.r.LappedCount() != c.lapped {
			c.lapped = c.r.LappedCount()
			return 0, ErrLapped
		}
		return 0, nil
	}
	length := c.r.Length()
	// A length no transmitter writes means the record was overwritten (or
	// the buffer damaged) while we read it: never a message.
	if length < 0 || length > c.r.capacity/8 || c.r.Offset()+length > c.r.capacity {
		c.r.markLapped()
		c.lapped = c.r.LappedCount()
		return 0, ErrLapped
	}
	if length > len(c.scratch) {
		c.scratch = make([]byte, length)
	}
	typ := c.r.TypeID()
	c.r.buf.GetBytes(c.r.Offset(), c.scratch[:length])
	if !c.r.Validate() {
		c.lapped = c.r.LappedCount()
		return 0, ErrLapped
	}
	if c.r.LappedCount() != c.lapped {
		c.lapped = c.r.LappedCount()
		return 0, ErrLapped
	}
	handler(typ, c.scratch[:length])
	return 1, nil
}
