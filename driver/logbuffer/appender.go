package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// Append results, as Aeron's publications return them (aeronc.h,
// Publication.java).
const (
	NotConnected        int64 = -1
	BackPressured       int64 = -2
	AdminAction         int64 = -3
	Closed              int64 = -4
	MaxPositionExceeded int64 = -5
	// PublicationError is returned for a message longer than
	// MaxMessageLength or a claim longer than one frame.
	PublicationError int64 = -6
)

// MaxMessageLength is the largest message a log accepts (§2.4).
func MaxMessageLength(termLength int) int { return min(termLength/8, 16<<20) }

// ReservedValueSupplier computes a frame's reserved value after its
// payload is written and before it is committed (Aeron's
// ReservedValueSupplier), e.g. a checksum. It must not allocate.
type ReservedValueSupplier func(term shm.AtomicBuffer, frameOffset, frameLength int) int64

// HeaderWriter writes frame headers from a log's default header (§2.2,
// HeaderWriter.java): every header a publisher writes is this template
// with its length, flags, term offset and term id filled in.
type HeaderWriter struct {
	header [DataHeaderLength]byte
}

// NewHeaderWriter copies the template from defaultHeader (at least 32
// bytes, as DefaultFrameHeader returns).
func NewHeaderWriter(defaultHeader []byte) HeaderWriter {
	var w HeaderWriter
	copy(w.header[:], defaultHeader)
	return w
}

// Write stores a header at offset with frame length -length (release),
// so readers see the frame as in progress until Commit.
func (w *HeaderWriter) Write(term shm.AtomicBuffer, offset, length int, termID int32) {
	term.PutInt32Ordered(offset, int32(-length))
	term.PutBytes(offset+4, w.header[4:])
	term.PutInt32(offset+termOffsetOffset, int32(offset))
	term.PutInt32(offset+termIDOffset, termID)
}

// Commit publishes a frame by storing its positive length (release).
func Commit(term shm.AtomicBuffer, offset, length int) {
	term.PutInt32Ordered(offset, int32(length))
}

// frameWriter holds what both appenders need to lay frames down.
type frameWriter struct {
	log           *LogBuffers
	meta          Meta
	termLength    int
	bits          uint
	initialTermID int32
	maxPayload    int
	maxMessage    int
	hw            HeaderWriter
	// ReservedValueSupplier, when set, overrides the reserved value
	// passed to Append for every frame.
	ReservedValueSupplier ReservedValueSupplier
}

func newFrameWriter(log *LogBuffers) frameWriter {
	m := log.Metadata()
	return frameWriter{log: log, meta: m, termLength: log.TermLength(), bits: PositionBitsToShift(log.TermLength()),
		initialTermID: m.InitialTermID(), maxPayload: int(m.MTULength()) - DataHeaderLength,
		maxMessage: MaxMessageLength(log.TermLength()), hw: NewHeaderWriter(m.DefaultFrameHeader())}
}

// required is the aligned space msg takes once fragmented over the MTU.
func (w *frameWriter) required(length int) (frames, required int) {
	frames = 1
	if length > w.maxPayload {
		frames = (length + w.maxPayload - 1) / w.maxPayload
	}
	last := length - (frames-1)*w.maxPayload
	return frames, (frames-1)*(w.maxPayload+DataHeaderLength) + Align(last+DataHeaderLength)
}

// writeFrames lays msg down at termOffset as BEGIN..END fragments.
func (w *frameWriter) writeFrames(term shm.AtomicBuffer, termOffset int, termID int32, frames int, msg []byte, reserved int64) {
	offset := termOffset
	for f := 0; f < frames; f++ {
		payload := msg[f*w.maxPayload : min(len(msg), (f+1)*w.maxPayload)]
		var flags uint8
		if f == 0 {
			flags |= FlagBegin
		}
		if f == frames-1 {
			flags |= FlagEnd
		}
		length := len(payload) + DataHeaderLength
		w.hw.Write(term, offset, length, termID)
		term.PutUint8(offset+flagsOffset, flags)
		term.PutBytes(offset+DataHeaderLength, payload)
		rv := reserved
		if w.ReservedValueSupplier != nil {
			rv = w.ReservedValueSupplier(term, offset, length)
		}
		term.PutInt64(offset+reservedValueOffset, rv)
		Commit(term, offset, length)
		offset += Align(length)
	}
}

// writePad fills [offset, offset+length) with one committed PAD frame.
func (w *frameWriter) writePad(term shm.AtomicBuffer, offset, length int, termID int32) {
	w.hw.Write(term, offset, length, termID)
	term.PutInt16(offset+typeFieldOffset, HdrTypePad)
	Commit(term, offset, length)
}

// endOfTerm handles a claim that ran past the term's end: pad what is left
// and rotate, as the publisher that tripped the term must.
func (w *frameWriter) endOfTerm(term shm.AtomicBuffer, termOffset int, termID, termCount int32) int64 {
	if termOffset < w.termLength {
		w.writePad(term, termOffset, w.termLength-termOffset, termID)
	}
	if ComputePosition(termID, int32(min(termOffset, w.termLength)), w.bits, w.initialTermID) >= MaxPossiblePosition(w.termLength) {
		return MaxPositionExceeded
	}
	w.meta.RotateLog(termCount, termID)
	return AdminAction
}

// Appender is a concurrent publication's appender: any number of
// publishers may append to the same log at once, each claiming space with
// a fetch-and-add on the active partition's raw tail (§2.5,
// aeron_publication.c, TermAppender.java). The caller checks the
// publication limit first.
type Appender struct {
	frameWriter
}

// NewAppender appends to log using its default header and MTU.
func NewAppender(log *LogBuffers) *Appender {
	return &Appender{frameWriter: newFrameWriter(log)}
}

// Append writes msg (fragmented over MTU-sized frames when needed) and
// returns the new stream position; AdminAction when a rotation is under
// way or this call tripped the term (retry); MaxPositionExceeded at the
// end of the stream; PublicationError when msg is too long.
func (a *Appender) Append(msg []byte, reservedValue int64) int64 {
	if len(msg) > a.maxMessage || a.maxPayload <= 0 {
		return PublicationError
	}
	termCount := a.meta.ActiveTermCount()
	index := IndexByTermCount(int64(uint32(termCount)))
	// A tail whose term does not match the count means another
	// publisher is half way through rotating.
	if TermID(a.meta.RawTailVolatile(index))-a.initialTermID != termCount {
		return AdminAction
	}
	frames, required := a.required(len(msg))
	raw := a.meta.GetAndAddRawTail(index, int64(required))
	termID := TermID(raw)
	termOffset := int(raw & 0xFFFF_FFFF)
	term := a.log.Term(index)
	if termOffset+required > a.termLength {
		return a.endOfTerm(term, termOffset, termID, termCount)
	}
	a.writeFrames(term, termOffset, termID, frames, msg, reservedValue)
	return ComputePosition(termID, int32(termOffset+required), a.bits, a.initialTermID)
}

// BufferClaim is space claimed for one unfragmented message, written in
// place and then committed or aborted (BufferClaim.java).
type BufferClaim struct {
	term   shm.AtomicBuffer
	offset int
	length int
}

// Buffer is the claimed payload.
func (c *BufferClaim) Buffer() shm.AtomicBuffer {
	return c.term.Slice(c.offset+DataHeaderLength, c.length-DataHeaderLength)
}

// SetReservedValue stores the frame's reserved value.
func (c *BufferClaim) SetReservedValue(v int64) { c.term.PutInt64(c.offset+reservedValueOffset, v) }

// Commit publishes the message.
func (c *BufferClaim) Commit() { Commit(c.term, c.offset, c.length) }

// Abort turns the claim into padding that readers skip.
func (c *BufferClaim) Abort() {
	c.term.PutInt16(c.offset+typeFieldOffset, HdrTypePad)
	Commit(c.term, c.offset, c.length)
}

// Claim reserves space for a length-byte message that fits in one frame
// and returns the new position with claim set, or the same negative
// results as Append. The claimant must Commit or Abort promptly: readers
// stop at the claimed frame until then.
func (a *Appender) Claim(length int, claim *BufferClaim) int64 {
	if length < 0 || length > a.maxPayload {
		return PublicationError
	}
	termCount := a.meta.ActiveTermCount()
	index := IndexByTermCount(int64(uint32(termCount)))
	if TermID(a.meta.RawTailVolatile(index))-a.initialTermID != termCount {
		return AdminAction
	}
	frameLength := length + DataHeaderLength
	required := Align(frameLength)
	raw := a.meta.GetAndAddRawTail(index, int64(required))
	termID := TermID(raw)
	termOffset := int(raw & 0xFFFF_FFFF)
	term := a.log.Term(index)
	if termOffset+required > a.termLength {
		return a.endOfTerm(term, termOffset, termID, termCount)
	}
	a.hw.Write(term, termOffset, frameLength, termID)
	term.PutInt64(termOffset+reservedValueOffset, 0)
	*claim = BufferClaim{term: term, offset: termOffset, length: frameLength}
	return ComputePosition(termID, int32(termOffset+required), a.bits, a.initialTermID)
}

// trip pads the rest of the active term and rotates the log, returning
// AdminAction (retry in the next term) or MaxPositionExceeded.
func (a *ExclusiveAppender) trip(term shm.AtomicBuffer) int64 {
	a.meta.SetRawTail(a.index, PackTail(a.termID, int32(a.termLength)))
	result := a.endOfTerm(term, a.termOffset, a.termID, a.termCount)
	if result == AdminAction {
		a.termCount++
		a.termID++
		a.termOffset = 0
		a.index = IndexByTermCount(int64(uint32(a.termCount)))
	}
	return result
}

// Claim reserves space for a length-byte message in one frame, as
// Appender.Claim does, for the single owner of an exclusive publication.
func (a *ExclusiveAppender) Claim(length int, claim *BufferClaim) int64 {
	if length < 0 || length > a.maxPayload {
		return PublicationError
	}
	frameLength := length + DataHeaderLength
	required := Align(frameLength)
	term := a.log.Term(a.index)
	if a.termOffset+required > a.termLength {
		return a.trip(term)
	}
	offset := a.termOffset
	a.termOffset += required
	a.meta.SetRawTail(a.index, PackTail(a.termID, int32(a.termOffset)))
	a.hw.Write(term, offset, frameLength, a.termID)
	term.PutInt64(offset+reservedValueOffset, 0)
	*claim = BufferClaim{term: term, offset: offset, length: frameLength}
	return ComputePosition(a.termID, int32(a.termOffset), a.bits, a.initialTermID)
}

// ExclusiveAppender is an exclusive publication's appender: one publisher
// owns the log, so it tracks the tail itself and stores it with release
// order instead of a fetch-and-add (ExclusiveTermAppender.java,
// aeron_exclusive_publication.c).
type ExclusiveAppender struct {
	frameWriter
	termCount  int32
	termID     int32
	termOffset int
	index      int
}

// NewExclusiveAppender appends to log from its current tail.
func NewExclusiveAppender(log *LogBuffers) *ExclusiveAppender {
	a := &ExclusiveAppender{frameWriter: newFrameWriter(log)}
	a.termCount = a.meta.ActiveTermCount()
	a.index = IndexByTermCount(int64(uint32(a.termCount)))
	raw := a.meta.RawTailVolatile(a.index)
	a.termID = TermID(raw)
	a.termOffset = int(TermOffset(raw, a.termLength))
	return a
}

// Append writes msg and returns the new position, or AdminAction after
// filling the term and rotating (retry), MaxPositionExceeded or
// PublicationError as Appender does.
func (a *ExclusiveAppender) Append(msg []byte, reservedValue int64) int64 {
	if len(msg) > a.maxMessage || a.maxPayload <= 0 {
		return PublicationError
	}
	frames, required := a.required(len(msg))
	term := a.log.Term(a.index)
	if a.termOffset+required > a.termLength {
		return a.trip(term)
	}
	offset := a.termOffset
	a.termOffset += required
	a.meta.SetRawTail(a.index, PackTail(a.termID, int32(a.termOffset)))
	a.writeFrames(term, offset, a.termID, frames, msg, reservedValue)
	return ComputePosition(a.termID, int32(a.termOffset), a.bits, a.initialTermID)
}
