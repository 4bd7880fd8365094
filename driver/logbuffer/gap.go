package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// GapHandler receives the first gap found in a term: its term id, offset
// and length (a multiple of the frame alignment).
type GapHandler func(termID int32, offset, length int)

// ScanForGap walks complete frames in term from offset up to limitOffset
// and, if it stops short of limitOffset, reports the gap from there to the
// next frame already received (or to limitOffset) to handler. It returns
// the offset where contiguous data ends (aeron_term_gap_scanner.h,
// TermGapScanner.java). Frame lengths that would leave the term end the
// scan, so arbitrary term contents cannot make it loop or read out of
// bounds.
func ScanForGap(term shm.AtomicBuffer, termID int32, offset, limitOffset int, handler GapHandler) int {
	limitOffset = min(limitOffset, term.Capacity())
	if offset < 0 || offset&(FrameAlignment-1) != 0 {
		return offset
	}
	for offset < limitOffset {
		length := int(FrameLengthVolatile(term, offset))
		if length <= 0 {
			break
		}
		aligned := Align(length)
		if aligned > term.Capacity()-offset {
			return offset
		}
		offset += aligned
	}
	if offset >= limitOffset {
		return offset
	}
	gapBegin := offset
	end := gapBegin + FrameAlignment
	// Frames start only on alignment boundaries, so the gap runs until
	// the next boundary holding a non-zero length.
	for end < limitOffset && FrameLengthVolatile(term, end) == 0 {
		end += FrameAlignment
	}
	if handler != nil {
		handler(termID, gapBegin, min(end, limitOffset)-gapBegin)
	}
	return gapBegin
}
