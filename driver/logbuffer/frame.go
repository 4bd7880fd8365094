package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// Frame header offsets and values (aeron_udp_protocol.h).
const (
	frameLengthOffset   = 0
	versionOffset       = 4
	flagsOffset         = 5
	typeFieldOffset     = 6
	termOffsetOffset    = 8
	sessionIDOffset     = 12
	streamIDOffset      = 16
	termIDOffset        = 20
	reservedValueOffset = 24

	HdrTypePad  = 0
	HdrTypeData = 1

	FlagBegin         = 0x80
	FlagEnd           = 0x40
	FlagEOS           = 0x20
	FlagsUnfragmented = FlagBegin | FlagEnd
)

// Align rounds v up to the frame alignment.
func Align(v int) int { return (v + FrameAlignment - 1) &^ (FrameAlignment - 1) }

// FrameLengthVolatile loads a frame's length with acquire order.
func FrameLengthVolatile(term shm.AtomicBuffer, offset int) int32 {
	return term.GetInt32Volatile(offset + frameLengthOffset)
}

// FrameType reads a frame's type.
func FrameType(term shm.AtomicBuffer, offset int) uint16 {
	return uint16(term.GetInt16(offset + typeFieldOffset))
}

// Header is a view of a frame header inside a term.
type Header struct {
	Buf           shm.AtomicBuffer
	Offset        int
	InitialTermID int32
	BitsToShift   uint
}

// FrameLength is the frame's length including the header.
func (h *Header) FrameLength() int32 { return h.Buf.GetInt32(h.Offset + frameLengthOffset) }

// Flags are the frame's flags.
func (h *Header) Flags() uint8 { return h.Buf.GetUint8(h.Offset + flagsOffset) }

// Type is the frame type.
func (h *Header) Type() uint16 { return uint16(h.Buf.GetInt16(h.Offset + typeFieldOffset)) }

// TermOffset is where the frame starts in its term.
func (h *Header) TermOffset() int32 { return h.Buf.GetInt32(h.Offset + termOffsetOffset) }

// SessionID of the stream.
func (h *Header) SessionID() int32 { return h.Buf.GetInt32(h.Offset + sessionIDOffset) }

// StreamID of the stream.
func (h *Header) StreamID() int32 { return h.Buf.GetInt32(h.Offset + streamIDOffset) }

// TermID of the frame's term.
func (h *Header) TermID() int32 { return h.Buf.GetInt32(h.Offset + termIDOffset) }

// ReservedValue is the application's 64-bit value.
func (h *Header) ReservedValue() int64 { return h.Buf.GetInt64(h.Offset + reservedValueOffset) }

// Position is the stream position just after this frame.
func (h *Header) Position() int64 {
	return ComputePosition(h.TermID(), h.TermOffset()+int32(Align(int(h.FrameLength()))), h.BitsToShift, h.InitialTermID)
}

// FragmentHandler receives a fragment's payload in place.
type FragmentHandler func(buf shm.AtomicBuffer, offset, length int, header *Header)

// Read delivers up to limit fragments from term starting at offset,
// skipping padding, and returns the fragments delivered and the offset
// reached. It stops at the first frame not yet written.
func Read(term shm.AtomicBuffer, offset int, handler FragmentHandler, limit int, header *Header) (int, int) {
	fragments := 0
	capacity := term.Capacity()
	header.Buf = term
	for fragments < limit && offset < capacity {
		length := int(FrameLengthVolatile(term, offset))
		if length <= 0 {
			break
		}
		frameOffset := offset
		aligned := Align(length)
		if aligned > capacity-offset || length < DataHeaderLength {
			// Not a frame any publisher writes; stop rather than
			// read outside the term.
			break
		}
		offset += aligned
		if FrameType(term, frameOffset) == HdrTypePad {
			continue
		}
		fragments++
		header.Offset = frameOffset
		handler(term, frameOffset+DataHeaderLength, length-DataHeaderLength, header)
	}
	return fragments, offset
}

// ScanForAvailability returns, packed as ScanOutcome, how many bytes from
// offset (at most maxLength) form complete frames a sender may send in one
// go, and how much padding follows them: a PAD frame counts only its
// header towards the bytes sent and its remainder as padding, and ends the
// scan (aeron_term_scanner.h, TermScanner.java). When the first frame alone
// exceeds maxLength, available is minus its aligned length, so the caller
// knows how much window it needs.
func ScanForAvailability(term shm.AtomicBuffer, offset, maxLength int) int64 {
	if offset < 0 || offset >= term.Capacity() {
		return 0
	}
	limit := min(maxLength, term.Capacity()-offset)
	available, padding := 0, 0
	for available < limit {
		frameOffset := offset + available
		length := int(FrameLengthVolatile(term, frameOffset))
		if length <= 0 {
			break
		}
		aligned := Align(length)
		if aligned > term.Capacity()-frameOffset || length < DataHeaderLength {
			// Not a frame any publisher writes: send nothing past it.
			break
		}
		if FrameType(term, frameOffset) == HdrTypePad {
			padding = aligned - DataHeaderLength
			aligned = DataHeaderLength
		}
		if available+aligned > limit {
			if available == 0 {
				available = -aligned
			}
			padding = 0
			break
		}
		available += aligned
		if padding != 0 {
			break
		}
	}
	return PackScanOutcome(padding, available)
}

// PackScanOutcome packs padding and available as TermScanner.pack does,
// bit for bit: available is not masked, so a negative availability fills
// the upper half and ScanPadding then reads -1, as it does in Aeron.
func PackScanOutcome(padding, available int) int64 {
	return int64(padding)<<32 | int64(int32(available))
}

// ScanAvailable is the available byte count of a scan outcome (negative
// when the next frame does not fit; check it before the padding).
func ScanAvailable(outcome int64) int { return int(int32(outcome)) }

// ScanPadding is the padding byte count of a scan outcome.
func ScanPadding(outcome int64) int { return int(int32(uint64(outcome) >> 32)) }

// Insert copies a received frame sequence into term at offset, unless that
// spot is already filled (a duplicate). The first 8 bytes go last, as one
// ordered store, so readers see whole frames only.
func Insert(term shm.AtomicBuffer, offset int, packet []byte) {
	// Bounds are checked here too, not only by the receiver's validation,
	// so no datagram can write outside the term.
	if len(packet) < DataHeaderLength || offset < 0 || offset&(FrameAlignment-1) != 0 ||
		len(packet) > term.Capacity()-offset || term.GetInt32Volatile(offset) != 0 {
		return
	}
	term.PutBytes(offset+8, packet[8:])
	word := shm.NewAtomicBuffer(packet).GetInt64(0)
	term.PutInt64Ordered(offset, word)
}

// Clean zeroes the log behind its consumers, from *cleanPosition up to
// target but no further than the end of one term per call, and advances
// *cleanPosition. Publishers and readers rely on space ahead of the tail
// being zero. The first 8 bytes go last with an ordered store.
func Clean(log *LogBuffers, cleanPosition *int64, target int64) {
	if target <= *cleanPosition {
		return
	}
	bits := PositionBitsToShift(log.TermLength())
	index := IndexByPosition(*cleanPosition, bits)
	offset := int(TermOffsetFromPosition(*cleanPosition, bits))
	length := int(min(target-*cleanPosition, int64(log.TermLength()-offset)))
	term := log.Term(index)
	if length > 8 {
		term.SetMemory(offset+8, length-8, 0)
	}
	term.PutInt64Ordered(offset, 0)
	*cleanPosition += int64(length)
}

// CleanTo is Clean term by term right up to target. A publication's
// conductor uses it: skipping any of the space would leave old frames
// where the publisher writes next, and a subscriber would read them as
// new. The publisher limit keeps the gap within a few terms, and the loop
// is bounded by that.
func CleanTo(log *LogBuffers, cleanPosition *int64, target int64) {
	for i := 0; i < PartitionCount+1 && *cleanPosition < target; i++ {
		Clean(log, cleanPosition, target)
	}
}
