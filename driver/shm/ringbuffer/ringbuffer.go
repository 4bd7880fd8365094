package ringbuffer

import (
	"fmt"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Layout constants.
const (
	TrailerLength           = 768
	tailOffset              = 128
	headCacheOffset         = 256
	headOffset              = 384
	correlationOffset       = 512
	ConsumerHeartbeatOffset = 640

	// HeaderLength is the record header: int32 length, int32 type.
	HeaderLength = 8
	// Alignment of records.
	Alignment = 8
	// PaddingMsgTypeID marks a record that only fills space.
	PaddingMsgTypeID = -1
)

// Handler receives a record's type and payload, in place. It must not keep
// the buffer past the call.
type Handler func(msgTypeID int32, buf shm.AtomicBuffer, offset, length int)

// ManyToOne is a many-producer, one-consumer ring buffer.
type ManyToOne struct {
	buf      shm.AtomicBuffer
	capacity int
	mask     int64
	maxMsg   int
	trailer  int
	// corrupt counts records the consumer could not make sense of.
	corrupt int64
}

// New wraps buf, whose length must be a power of two plus the trailer.
func New(buf shm.AtomicBuffer) (*ManyToOne, error) {
	capacity := buf.Capacity() - TrailerLength
	if !shm.IsPowerOfTwo(capacity) {
		return nil, fmt.Errorf("ring buffer capacity %d (length %d less the %d-byte trailer) is not a power of two", capacity, buf.Capacity(), TrailerLength)
	}
	if err := buf.CheckAlignment(); err != nil {
		return nil, fmt.Errorf("ring buffer: %w", err)
	}
	return &ManyToOne{buf: buf, capacity: capacity, mask: int64(capacity - 1), maxMsg: capacity / 8, trailer: capacity}, nil
}

// Capacity is the space for records.
func (r *ManyToOne) Capacity() int { return r.capacity }

// MaxMsgLength is the largest payload Write accepts.
func (r *ManyToOne) MaxMsgLength() int { return r.maxMsg }

// Write appends a record and reports whether it did: false when the
// consumer has not made room, the type id is not positive or the message is
// longer than MaxMsgLength. It is safe from any goroutine or process.
func (r *ManyToOne) Write(msgTypeID int32, src []byte) bool {
	if msgTypeID < 1 || len(src) > r.maxMsg {
		return false
	}
	recordLength := len(src) + HeaderLength
	index := r.claim(shm.AlignInt(recordLength, Alignment))
	if index < 0 {
		return false
	}
	// Negative length first so the consumer waits for the commit below
	// (ManyToOneRingBuffer.java, §4.3).
	r.buf.PutInt32Ordered(index, -int32(recordLength))
	r.buf.PutBytes(index+HeaderLength, src)
	r.buf.PutInt32(index+4, msgTypeID)
	r.buf.PutInt32Ordered(index, int32(recordLength))
	return true
}

// claim reserves required bytes and returns the record index, or -1.
func (r *ManyToOne) claim(required int) int {
	t := r.trailer
	head := r.buf.GetInt64Volatile(t + headCacheOffset)
	for {
		tail := r.buf.GetInt64Volatile(t + tailOffset)
		if required > r.capacity-int(tail-head) {
			head = r.buf.GetInt64Volatile(t + headOffset)
			if required > r.capacity-int(tail-head) {
				return -1
			}
			r.buf.PutInt64Ordered(t+headCacheOffset, head)
		}
		padding := 0
		tailIndex := int(tail & r.mask)
		toEnd := r.capacity - tailIndex
		if required > toEnd {
			headIndex := int(head & r.mask)
			if required > headIndex {
				head = r.buf.GetInt64Volatile(t + headOffset)
				headIndex = int(head & r.mask)
				if required > headIndex {
					return -1
				}
				r.buf.PutInt64Ordered(t+headCacheOffset, head)
			}
			padding = toEnd
		}
		if r.buf.CompareAndSetInt64(t+tailOffset, tail, tail+int64(required+padding)) {
			if padding != 0 {
				r.buf.PutInt32Ordered(tailIndex, -int32(padding))
				r.buf.PutInt32(tailIndex+4, PaddingMsgTypeID)
				r.buf.PutInt32Ordered(tailIndex, int32(padding))
				tailIndex = 0
			}
			return tailIndex
		}
	}
}

// Read hands up to limit records to h and frees their space. Only one
// consumer may call it. It returns the number of records delivered.
func (r *ManyToOne) Read(h Handler, limit int) int {
	t := r.trailer
	head := r.buf.GetInt64(t + headOffset)
	headIndex := int(head & r.mask)
	contiguous := r.capacity - headIndex
	bytesRead, messages := 0, 0
	for bytesRead < contiguous && messages < limit {
		index := headIndex + bytesRead
		length := int(r.buf.GetInt32Volatile(index))
		if length <= 0 {
			break
		}
		aligned := shm.AlignInt(length, Alignment)
		if length < HeaderLength || aligned > contiguous-bytesRead {
			// A record no producer following the protocol writes: drop
			// the rest of this block rather than read past it.
			r.corrupt++
			bytesRead = contiguous
			break
		}
		bytesRead += aligned
		typ := r.buf.GetInt32(index + 4)
		if typ == PaddingMsgTypeID {
			continue
		}
		messages++
		h(typ, r.buf, index+HeaderLength, length-HeaderLength)
	}
	if bytesRead > 0 {
		r.buf.SetMemory(headIndex, bytesRead, 0)
		r.buf.PutInt64Ordered(t+headOffset, head+int64(bytesRead))
	}
	return messages
}

// Corrupt counts records Read dropped as malformed.
func (r *ManyToOne) Corrupt() int64 { return r.corrupt }

// NextCorrelationID returns a system-wide unique id.
func (r *ManyToOne) NextCorrelationID() int64 {
	return r.buf.GetAndAddInt64(r.trailer+correlationOffset, 1)
}

// ConsumerHeartbeatTime is the driver's last heartbeat in epoch ms.
func (r *ManyToOne) ConsumerHeartbeatTime() int64 {
	return r.buf.GetInt64Volatile(r.trailer + ConsumerHeartbeatOffset)
}

// SetConsumerHeartbeatTime records the driver's heartbeat.
func (r *ManyToOne) SetConsumerHeartbeatTime(ms int64) {
	r.buf.PutInt64Ordered(r.trailer+ConsumerHeartbeatOffset, ms)
}

// ProducerPosition and ConsumerPosition expose tail and head.
func (r *ManyToOne) ProducerPosition() int64 { return r.buf.GetInt64Volatile(r.trailer + tailOffset) }

// ConsumerPosition is the head.
func (r *ManyToOne) ConsumerPosition() int64 { return r.buf.GetInt64Volatile(r.trailer + headOffset) }

// Unblock turns a record a dead producer claimed but never committed into
// padding, so the consumer can go on. It reports whether it did.
func (r *ManyToOne) Unblock() bool {
	t := r.trailer
	head := r.buf.GetInt64Volatile(t + headOffset)
	tail := r.buf.GetInt64Volatile(t + tailOffset)
	if head == tail {
		return false
	}
	consumerIndex := int(head & r.mask)
	producerIndex := int(tail & r.mask)
	length := r.buf.GetInt32Volatile(consumerIndex)
	if length < 0 {
		r.buf.PutInt32(consumerIndex+4, PaddingMsgTypeID)
		r.buf.PutInt32Ordered(consumerIndex, -length)
		return true
	}
	if length != 0 {
		return false
	}
	limit := r.capacity
	if producerIndex > consumerIndex {
		limit = producerIndex
	}
	for i := consumerIndex + Alignment; i < limit; i += Alignment {
		if r.buf.GetInt32Volatile(i) == 0 {
			continue
		}
		// Make sure the gap is still empty before padding over it.
		for j := consumerIndex; j < i; j += Alignment {
			if r.buf.GetInt32Volatile(j) != 0 {
				return false
			}
		}
		r.buf.PutInt32(consumerIndex+4, PaddingMsgTypeID)
		r.buf.PutInt32Ordered(consumerIndex, int32(i-consumerIndex))
		return true
	}
	return false
}
