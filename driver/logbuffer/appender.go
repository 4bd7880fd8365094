package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// Append results, as Aeron's publications return them.
const (
	NotConnected        int64 = -1
	BackPressured       int64 = -2
	AdminAction         int64 = -3
	Closed              int64 = -4
	MaxPositionExceeded int64 = -5
)

// Appender writes messages into a log for one publisher at a time per
// partition claim (the claim itself is a fetch-and-add, so concurrent
// publishers are safe).
type Appender struct {
	log           *LogBuffers
	meta          Meta
	termLength    int
	bits          uint
	initialTermID int32
	maxPayload    int
	header        [DataHeaderLength]byte
}

// NewAppender appends to log using its default header and MTU.
func NewAppender(log *LogBuffers) *Appender {
	m := log.Metadata()
	a := &Appender{log: log, meta: m, termLength: log.TermLength(), bits: PositionBitsToShift(log.TermLength()),
		initialTermID: m.InitialTermID(), maxPayload: int(m.MTULength()) - DataHeaderLength}
	copy(a.header[:], m.DefaultFrameHeader())
	return a
}

// MaxMessageLength is the largest message a log accepts.
func MaxMessageLength(termLength int) int { return min(termLength/8, 16<<20) }

// Append writes msg (fragmented over MTU-sized frames when needed) and
// returns the new stream position, or AdminAction when the term was
// tripped and rotated (retry). The caller checks the publication limit.
func (a *Appender) Append(msg []byte, reservedValue int64) int64 {
	termCount := a.meta.ActiveTermCount()
	index := IndexByTermCount(int64(uint32(termCount)))
	frames := 1
	if len(msg) > a.maxPayload {
		frames = (len(msg) + a.maxPayload - 1) / a.maxPayload
	}
	last := len(msg) - (frames-1)*a.maxPayload
	required := (frames-1)*(a.maxPayload+DataHeaderLength) + Align(last+DataHeaderLength)
	raw := a.meta.GetAndAddRawTail(index, int64(required))
	termID := TermID(raw)
	termOffset := int(raw & 0xFFFF_FFFF)
	term := a.log.Term(index)
	if termOffset+required > a.termLength {
		if termOffset < a.termLength {
			a.writePad(term, termOffset, a.termLength-termOffset, termID)
		}
		if ComputePosition(termID, int32(min(termOffset, a.termLength)), a.bits, a.initialTermID) >= MaxPossiblePosition(a.termLength) {
			return MaxPositionExceeded
		}
		a.meta.RotateLog(termCount, termID)
		return AdminAction
	}
	offset := termOffset
	for f := 0; f < frames; f++ {
		payload := msg[f*a.maxPayload : min(len(msg), (f+1)*a.maxPayload)]
		var flags uint8
		if f == 0 {
			flags |= FlagBegin
		}
		if f == frames-1 {
			flags |= FlagEnd
		}
		a.writeFrame(term, offset, termID, flags, payload, reservedValue)
		offset += Align(len(payload) + DataHeaderLength)
	}
	return ComputePosition(termID, int32(termOffset+required), a.bits, a.initialTermID)
}

func (a *Appender) writeHeader(term shm.AtomicBuffer, offset int, length int, termID int32) {
	term.PutInt32Ordered(offset, int32(-length))
	term.PutBytes(offset+4, a.header[4:])
	term.PutInt32(offset+termOffsetOffset, int32(offset))
	term.PutInt32(offset+termIDOffset, termID)
}

func (a *Appender) writeFrame(term shm.AtomicBuffer, offset int, termID int32, flags uint8, payload []byte, reserved int64) {
	length := len(payload) + DataHeaderLength
	a.writeHeader(term, offset, length, termID)
	term.PutUint8(offset+flagsOffset, flags)
	term.PutInt64(offset+reservedValueOffset, reserved)
	term.PutBytes(offset+DataHeaderLength, payload)
	term.PutInt32Ordered(offset, int32(length))
}

func (a *Appender) writePad(term shm.AtomicBuffer, offset, length int, termID int32) {
	a.writeHeader(term, offset, length, termID)
	term.PutInt16(offset+typeFieldOffset, HdrTypePad)
	term.PutInt32Ordered(offset, int32(length))
}

// Unblock turns a region a dead publisher claimed but never completed into
// padding, starting at blockedOffset in term, so readers can pass it. It
// looks no further than tailOffset and reports whether it padded anything.
func Unblock(term shm.AtomicBuffer, defaultHeader []byte, termID int32, blockedOffset, tailOffset int) bool {
	length := int(FrameLengthVolatile(term, blockedOffset))
	pad := 0
	switch {
	case length < 0:
		pad = -length
	case length == 0:
		end := min(tailOffset, term.Capacity())
		pad = end - blockedOffset
		for off := blockedOffset + FrameAlignment; off < end; off += FrameAlignment {
			if FrameLengthVolatile(term, off) != 0 {
				pad = off - blockedOffset
				break
			}
		}
		// Re-check the gap is still empty before padding over it.
		for off := blockedOffset; off < blockedOffset+pad; off += FrameAlignment {
			if FrameLengthVolatile(term, off) != 0 {
				return false
			}
		}
	default:
		return false
	}
	if pad <= 0 || blockedOffset+pad > term.Capacity() {
		return false
	}
	term.PutBytes(blockedOffset+4, defaultHeader[4:DataHeaderLength])
	term.PutInt16(blockedOffset+typeFieldOffset, HdrTypePad)
	term.PutInt32(blockedOffset+termOffsetOffset, int32(blockedOffset))
	term.PutInt32(blockedOffset+termIDOffset, termID)
	term.PutInt32Ordered(blockedOffset, int32(pad))
	return true
}
