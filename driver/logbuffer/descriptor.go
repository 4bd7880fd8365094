package logbuffer

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Layout constants.
const (
	PartitionCount   = 3
	MetadataLength   = 4096
	MinTermLength    = 64 * 1024
	MaxTermLength    = 1 << 30
	MinPageSize      = 4 * 1024
	MaxPageSize      = 1 << 30
	FrameAlignment   = 32
	DataHeaderLength = 32
)

// Metadata offsets (§2.2 of Aeron's layout).
const (
	termTailCountersOffset         = 0
	activeTermCountOffset          = 24
	endOfStreamPositionOffset      = 128
	isConnectedOffset              = 136
	activeTransportCountOffset     = 140
	correlationIDOffset            = 256
	initialTermIDOffset            = 264
	defaultFrameHeaderLengthOffset = 268
	mtuLengthOffset                = 272
	termLengthOffset               = 276
	pageSizeOffset                 = 280
	publicationWindowOffset        = 284
	receiverWindowOffset           = 288
	socketSndbufOffset             = 292
	osDefaultSndbufOffset          = 296
	osMaxSndbufOffset              = 300
	socketRcvbufOffset             = 304
	osDefaultRcvbufOffset          = 308
	osMaxRcvbufOffset              = 312
	maxResendOffset                = 316
	defaultFrameHeaderOffset       = 320
	DefaultFrameHeaderMaxLength    = 128
	entityTagOffset                = 448
	responseCorrelationIDOffset    = 456
	lingerTimeoutOffset            = 464
	untetheredWindowLimitOffset    = 472
	untetheredRestingOffset        = 480
	groupOffset                    = 488
	isResponseOffset               = 489
	rejoinOffset                   = 490
	reliableOffset                 = 491
	sparseOffset                   = 492
	signalEOSOffset                = 493
	spiesSimulateConnectionOffset  = 494
	tetherOffset                   = 495
	isPublicationRevokedOffset     = 496
	typeOffset                     = 497
	untetheredLingerOffset         = 500
)

// Log types stored in the metadata.
const (
	TypeConcurrentPublication = 0
	TypeExclusivePublication  = 1
	TypePublicationImage      = 2
)

// ComputeLogLength is the file length of a log.
func ComputeLogLength(termLength, pageSize int) int64 {
	return int64(shm.AlignInt(PartitionCount*termLength+MetadataLength, pageSize))
}

// CheckTermLength validates a term length.
func CheckTermLength(termLength int) error {
	if termLength < MinTermLength || termLength > MaxTermLength || !shm.IsPowerOfTwo(termLength) {
		return fmt.Errorf("term length %d must be a power of two between 64k and 1g", termLength)
	}
	return nil
}

// CheckPageSize validates a page size.
func CheckPageSize(pageSize int) error {
	if pageSize < MinPageSize || pageSize > MaxPageSize || !shm.IsPowerOfTwo(pageSize) {
		return fmt.Errorf("page size %d must be a power of two between 4k and 1g", pageSize)
	}
	return nil
}

// PositionBitsToShift is log2(termLength).
func PositionBitsToShift(termLength int) uint { return uint(bits.TrailingZeros32(uint32(termLength))) }

// ComputePosition turns a term id and offset into a stream position.
func ComputePosition(activeTermID, termOffset int32, bitsToShift uint, initialTermID int32) int64 {
	termCount := int64(activeTermID - initialTermID)
	return termCount<<bitsToShift + int64(termOffset)
}

// TermIDFromPosition is the term id holding position.
func TermIDFromPosition(position int64, bitsToShift uint, initialTermID int32) int32 {
	return int32(position>>bitsToShift) + initialTermID
}

// TermOffsetFromPosition is the offset of position within its term.
func TermOffsetFromPosition(position int64, bitsToShift uint) int32 {
	return int32(position & (1<<bitsToShift - 1))
}

// IndexByPosition is the partition holding position.
func IndexByPosition(position int64, bitsToShift uint) int {
	return int((position >> bitsToShift) % PartitionCount)
}

// IndexByTerm is the partition of termID.
func IndexByTerm(initialTermID, termID int32) int {
	return int(uint32(termID-initialTermID) % PartitionCount)
}

// IndexByTermCount is the partition of the termCount-th term.
func IndexByTermCount(termCount int64) int { return int(termCount % PartitionCount) }

// PackTail builds a raw tail from a term id and offset.
func PackTail(termID, termOffset int32) int64 { return int64(termID)<<32 | int64(uint32(termOffset)) }

// TermID of a raw tail.
func TermID(rawTail int64) int32 { return int32(rawTail >> 32) }

// TermOffset of a raw tail, clamped to the term length (the lower half can
// overshoot after a fetch-and-add past the end).
func TermOffset(rawTail int64, termLength int) int32 {
	off := rawTail & 0xFFFF_FFFF
	if off > int64(termLength) {
		return int32(termLength)
	}
	return int32(off)
}

// MaxPossiblePosition is the position a stream can never pass.
func MaxPossiblePosition(termLength int) int64 { return int64(termLength) << 31 }

// Meta is a view of a log's metadata section.
type Meta struct{ b shm.AtomicBuffer }

// RawTailVolatile loads the raw tail of a partition.
func (m Meta) RawTailVolatile(partition int) int64 {
	return m.b.GetInt64Volatile(termTailCountersOffset + 8*partition)
}

// SetRawTail stores a partition's raw tail.
func (m Meta) SetRawTail(partition int, v int64) {
	m.b.PutInt64Ordered(termTailCountersOffset+8*partition, v)
}

// CASRawTail compare-and-swaps a partition's raw tail.
func (m Meta) CASRawTail(partition int, expected, v int64) bool {
	return m.b.CompareAndSetInt64(termTailCountersOffset+8*partition, expected, v)
}

// GetAndAddRawTail adds to a partition's raw tail and returns the old value.
func (m Meta) GetAndAddRawTail(partition int, delta int64) int64 {
	return m.b.GetAndAddInt64(termTailCountersOffset+8*partition, delta)
}

// ActiveTermCount is the number of completed rotations.
func (m Meta) ActiveTermCount() int32 { return m.b.GetInt32Volatile(activeTermCountOffset) }

// SetActiveTermCount stores the active term count.
func (m Meta) SetActiveTermCount(v int32) { m.b.PutInt32Ordered(activeTermCountOffset, v) }

// CASActiveTermCount compare-and-swaps the active term count.
func (m Meta) CASActiveTermCount(expected, v int32) bool {
	return m.b.CompareAndSetInt32(activeTermCountOffset, expected, v)
}

// EndOfStreamPosition is where the stream ends (MaxInt64 until known).
func (m Meta) EndOfStreamPosition() int64 { return m.b.GetInt64Volatile(endOfStreamPositionOffset) }

// SetEndOfStreamPosition stores the end of the stream.
func (m Meta) SetEndOfStreamPosition(v int64) { m.b.PutInt64Ordered(endOfStreamPositionOffset, v) }

// IsConnected says whether a publication has subscribers.
func (m Meta) IsConnected() bool { return m.b.GetInt32Volatile(isConnectedOffset) == 1 }

// SetIsConnected stores the connected flag.
func (m Meta) SetIsConnected(v bool) {
	var i int32
	if v {
		i = 1
	}
	m.b.PutInt32Ordered(isConnectedOffset, i)
}

// ActiveTransportCount is, for images, the transports seen recently.
func (m Meta) ActiveTransportCount() int32 { return m.b.GetInt32Volatile(activeTransportCountOffset) }

// SetActiveTransportCount stores the active transport count.
func (m Meta) SetActiveTransportCount(v int32) { m.b.PutInt32Ordered(activeTransportCountOffset, v) }

// CorrelationID is the log's registration or image correlation id.
func (m Meta) CorrelationID() int64 { return CorrelationID(m.b) }

// InitialTermID is the first term id.
func (m Meta) InitialTermID() int32 { return InitialTermID(m.b) }

// MTULength is the stream's MTU.
func (m Meta) MTULength() int32 { return MTULength(m.b) }

// TermLength is the term length.
func (m Meta) TermLength() int32 { return TermLengthOf(m.b) }

// PageSize is the page size the file was created with.
func (m Meta) PageSize() int32 { return PageSizeOf(m.b) }

// IsPublicationRevoked says whether the publication was revoked.
func (m Meta) IsPublicationRevoked() bool { return IsPublicationRevoked(m.b) }

// DefaultFrameHeader is the 32-byte DATA header template.
func (m Meta) DefaultFrameHeader() []byte {
	return m.b.Bytes()[defaultFrameHeaderOffset : defaultFrameHeaderOffset+DataHeaderLength]
}

// Params describe a new log's metadata.
type Params struct {
	CorrelationID                                                                           int64
	InitialTermID                                                                           int32
	TermLength                                                                              int
	PageSize                                                                                int
	MTU                                                                                     int
	SessionID                                                                               int32
	StreamID                                                                                int32
	PublicationWindow                                                                       int
	ReceiverWindow                                                                          int
	SocketSndbuf, SocketRcvbuf                                                              int
	MaxResend                                                                               int
	EntityTag                                                                               int64
	ResponseCorrelationID                                                                   int64
	LingerTimeoutNs                                                                         int64
	UntetheredWindowLimitNs                                                                 int64
	UntetheredRestingNs                                                                     int64
	UntetheredLingerNs                                                                      int64
	Group, IsResponse, Rejoin, Reliable, Sparse, SignalEOS, SpiesSimulateConnection, Tether bool
	Type                                                                                    uint8
	// TermID and TermOffset start the stream somewhere other than
	// position 0 (init-term-id/term-id/term-offset); zero values mean the
	// initial term at offset 0.
	TermID     int32
	TermOffset int32
	HasStart   bool
}

func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// Initialise writes a new log's metadata and tails. The end-of-stream
// position goes last, with release order, as Aeron's drivers do.
func (m Meta) Initialise(p Params) {
	b := m.b
	b.PutInt64(correlationIDOffset, p.CorrelationID)
	b.PutInt32(initialTermIDOffset, p.InitialTermID)
	b.PutInt32(defaultFrameHeaderLengthOffset, DataHeaderLength)
	b.PutInt32(mtuLengthOffset, int32(p.MTU))
	b.PutInt32(termLengthOffset, int32(p.TermLength))
	b.PutInt32(pageSizeOffset, int32(p.PageSize))
	b.PutInt32(publicationWindowOffset, int32(p.PublicationWindow))
	b.PutInt32(receiverWindowOffset, int32(p.ReceiverWindow))
	b.PutInt32(socketSndbufOffset, int32(p.SocketSndbuf))
	b.PutInt32(socketRcvbufOffset, int32(p.SocketRcvbuf))
	b.PutInt32(maxResendOffset, int32(p.MaxResend))
	b.PutInt64(entityTagOffset, p.EntityTag)
	b.PutInt64(responseCorrelationIDOffset, p.ResponseCorrelationID)
	b.PutInt64(lingerTimeoutOffset, p.LingerTimeoutNs)
	b.PutInt64(untetheredWindowLimitOffset, p.UntetheredWindowLimitNs)
	b.PutInt64(untetheredRestingOffset, p.UntetheredRestingNs)
	b.PutInt64(untetheredLingerOffset, p.UntetheredLingerNs)
	b.PutUint8(groupOffset, boolByte(p.Group))
	b.PutUint8(isResponseOffset, boolByte(p.IsResponse))
	b.PutUint8(rejoinOffset, boolByte(p.Rejoin))
	b.PutUint8(reliableOffset, boolByte(p.Reliable))
	b.PutUint8(sparseOffset, boolByte(p.Sparse))
	b.PutUint8(signalEOSOffset, boolByte(p.SignalEOS))
	b.PutUint8(spiesSimulateConnectionOffset, boolByte(p.SpiesSimulateConnection))
	b.PutUint8(tetherOffset, boolByte(p.Tether))
	b.PutUint8(typeOffset, p.Type)

	// Default header: BEGIN|END, DATA, session, stream, initial term id.
	h := b.Bytes()[defaultFrameHeaderOffset : defaultFrameHeaderOffset+DataHeaderLength]
	clear(h)
	h[5] = 0xC0
	h[6] = 0x01
	hb := shm.NewAtomicBuffer(h)
	hb.PutInt32(8, p.TermOffset)
	hb.PutInt32(12, p.SessionID)
	hb.PutInt32(16, p.StreamID)
	hb.PutInt32(20, p.InitialTermID)

	termID, termOffset := p.InitialTermID, int32(0)
	if p.HasStart {
		termID, termOffset = p.TermID, p.TermOffset
	}
	termCount := termID - p.InitialTermID
	active := IndexByTermCount(int64(uint32(termCount)))
	m.SetRawTail(active, PackTail(termID, termOffset))
	for i := 1; i < PartitionCount; i++ {
		m.SetRawTail((active+i)%PartitionCount, PackTail(termID+int32(i)-PartitionCount, 0))
	}
	m.SetActiveTermCount(termCount)
	m.SetEndOfStreamPosition(math.MaxInt64)
}

// RotateLog moves the active partition on after termCount filled up, as
// a publisher that trips the end of a term does. It reports whether this
// call did the rotation.
func (m Meta) RotateLog(termCount, termID int32) bool {
	nextTermID := termID + 1
	nextIndex := IndexByTermCount(int64(uint32(termCount + 1)))
	expected := nextTermID - PartitionCount
	for {
		raw := m.RawTailVolatile(nextIndex)
		if TermID(raw) != expected {
			break
		}
		if m.CASRawTail(nextIndex, raw, PackTail(nextTermID, 0)) {
			break
		}
	}
	return m.CASActiveTermCount(termCount, termCount+1)
}

// ProducerPosition is the position of the active partition's tail.
func (m Meta) ProducerPosition(termLength int, bitsToShift uint) int64 {
	termCount := m.ActiveTermCount()
	raw := m.RawTailVolatile(IndexByTermCount(int64(uint32(termCount))))
	return ComputePosition(TermID(raw), TermOffset(raw, termLength), bitsToShift, m.InitialTermID())
}
