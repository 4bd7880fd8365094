package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// UnblockStatus is what Unblock did (aeron_term_unblocker.h).
type UnblockStatus int

// Unblock outcomes.
const (
	// NoAction: nothing could safely be padded yet.
	NoAction UnblockStatus = iota
	// Unblocked: the blocking region is now a PAD frame.
	Unblocked
	// UnblockedToEnd: the term was padded to its end; the caller must
	// rotate the log (RotateLog) so publishers move on.
	UnblockedToEnd
)

// Unblock lets consumers pass a region a publisher claimed but never
// completed (it died or stalled), starting at blockedOffset in term, as
// the driver does for concurrent publications after the unblock timeout
// (§2.6, aeron_term_unblocker.c, TermUnblocker.java). A frame with a
// negative length (header begun, never committed) becomes padding of that
// length. A zero region is padded up to the next frame that has a length,
// after re-checking it is still all zero, looking no further than
// tailOffset; when the claims reach the term's end it is padded to the end.
func Unblock(term shm.AtomicBuffer, defaultHeader []byte, termID int32, blockedOffset, tailOffset int) UnblockStatus {
	termLength := term.Capacity()
	if blockedOffset < 0 || blockedOffset >= termLength || blockedOffset&(FrameAlignment-1) != 0 {
		return NoAction
	}
	length := int(FrameLengthVolatile(term, blockedOffset))
	if length < 0 {
		if -length > termLength-blockedOffset {
			return NoAction
		}
		resetToPad(term, defaultHeader, termID, blockedOffset, -length)
		return Unblocked
	}
	if length > 0 {
		return NoAction
	}
	tailOffset = min(tailOffset, termLength)
	offset := blockedOffset + FrameAlignment
	for ; offset < tailOffset; offset += FrameAlignment {
		if FrameLengthVolatile(term, offset) != 0 {
			if zeroedBackTo(term, offset, blockedOffset) {
				resetToPad(term, defaultHeader, termID, blockedOffset, offset-blockedOffset)
				return Unblocked
			}
			return NoAction
		}
	}
	if offset >= termLength && FrameLengthVolatile(term, blockedOffset) == 0 {
		resetToPad(term, defaultHeader, termID, blockedOffset, termLength-blockedOffset)
		return UnblockedToEnd
	}
	return NoAction
}

// zeroedBackTo confirms no publisher has started a frame in
// [blockedOffset, offset) since the forward scan.
func zeroedBackTo(term shm.AtomicBuffer, offset, blockedOffset int) bool {
	for o := offset - FrameAlignment; o >= blockedOffset; o -= FrameAlignment {
		if FrameLengthVolatile(term, o) != 0 {
			return false
		}
	}
	return true
}

// resetToPad writes a PAD header over [offset, offset+length) from the
// default header and publishes its length last.
func resetToPad(term shm.AtomicBuffer, defaultHeader []byte, termID int32, offset, length int) {
	term.PutBytes(offset+4, defaultHeader[4:DataHeaderLength])
	term.PutInt16(offset+typeFieldOffset, HdrTypePad)
	term.PutInt32(offset+termOffsetOffset, int32(offset))
	term.PutInt32(offset+termIDOffset, termID)
	term.PutInt32Ordered(offset, int32(length))
}

// ComputeFragmentedFrameLength is the term space a message of length bytes
// takes when split into maxPayloadLength fragments
// (LogBufferDescriptor.computeFragmentedFrameLength).
func ComputeFragmentedFrameLength(length, maxPayloadLength int) int {
	full := length / maxPayloadLength
	rest := length % maxPayloadLength
	last := 0
	if rest > 0 {
		last = Align(rest + DataHeaderLength)
	}
	return full*(maxPayloadLength+DataHeaderLength) + last
}

// FillGap pads a gap in an image's term, [gapOffset, gapOffset+gapLength),
// so subscribers of an unreliable stream move past lost data
// (aeron_term_gap_filler.c, TermGapFiller.java). It does nothing, and says
// so, if any frame has arrived inside the gap meanwhile or the gap does
// not lie on frame boundaries inside the term.
func FillGap(term shm.AtomicBuffer, defaultHeader []byte, termID int32, gapOffset, gapLength int) bool {
	if gapOffset < 0 || gapLength < DataHeaderLength || gapOffset&(FrameAlignment-1) != 0 ||
		gapLength&(FrameAlignment-1) != 0 || gapLength > term.Capacity()-gapOffset {
		return false
	}
	for off := gapOffset + gapLength - FrameAlignment; off >= gapOffset; off -= FrameAlignment {
		if FrameLengthVolatile(term, off) != 0 {
			return false
		}
	}
	resetToPad(term, defaultHeader, termID, gapOffset, gapLength)
	return true
}
