package lossdetect

import (
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// Handler is told when to send a NAK for a gap.
type Handler interface {
	OnGapDetected(termID, termOffset, length int32)
}

type gap struct {
	termID, termOffset, length int32
}

// Detector is one image's loss detector: one active gap and its timer
// (LossDetector.java, aeron_loss_detector.c).
type Detector struct {
	gen     DelayGenerator
	handler Handler

	// scanned is the gap the current Scan found, if found is set.
	scanned gap
	found   bool
	// active is the gap the timer runs for; offset -1 until the first.
	active     gap
	deadlineNs int64
}

// New makes a detector that draws delays from gen and reports gaps whose
// timer expired to handler.
func New(gen DelayGenerator, handler Handler) *Detector {
	return &Detector{
		gen:        gen,
		handler:    handler,
		scanned:    gap{termOffset: -1},
		active:     gap{termOffset: -1},
		deadlineNs: -1,
	}
}

// Scan looks for a gap from rebuildPosition up to hwmPosition in the term
// of rebuildPosition (up to the term's end when hwmPosition lies in a
// later term) and returns the new rebuild offset within that term (end of
// the contiguous run) and whether a new gap became active (for congestion
// control). It calls handler.OnGapDetected when the active gap's timer
// expires, and re-arms it with the retry delay. Same contract as Aeron's
// LossDetector.scan; term must be the partition holding rebuildPosition.
func (d *Detector) Scan(term shm.AtomicBuffer, rebuildPosition, hwmPosition, nowNs int64,
	termLengthMask int, bitsToShift uint, initialTermID int32) (rebuildOffset int, lossFound bool) {
	rebuildOffset = int(rebuildPosition & int64(termLengthMask))
	if rebuildPosition >= hwmPosition {
		return rebuildOffset, false
	}
	rebuildTermCount := int32(rebuildPosition >> bitsToShift)
	hwmTermCount := int32(hwmPosition >> bitsToShift)
	// Term ids wrap like Aeron's (aeron_add_wrap_i32): Go's int32
	// addition is defined to wrap.
	rebuildTermID := initialTermID + rebuildTermCount
	limitOffset := termLengthMask + 1
	if rebuildTermCount == hwmTermCount {
		limitOffset = int(hwmPosition & int64(termLengthMask))
	}

	d.found = false
	rebuildOffset = logbuffer.ScanForGap(term, rebuildTermID, rebuildOffset, limitOffset, d.onGap)
	// ScanForGap stops short without a gap only on a frame that does not
	// fit the term; Aeron would report its stale last gap there, we report
	// nothing.
	if rebuildOffset < limitOffset && d.found {
		if d.scanned != d.active {
			d.active = d.scanned
			d.deadlineNs = nowNs + d.gen.Delay(false)
			lossFound = true
		}
		// Compared by difference, as Aeron's Java does, so it holds across
		// a wrap of the clock.
		if d.deadlineNs-nowNs <= 0 {
			d.handler.OnGapDetected(d.active.termID, d.active.termOffset, d.active.length)
			d.deadlineNs = nowNs + d.gen.Delay(true)
		}
	}
	return rebuildOffset, lossFound
}

func (d *Detector) onGap(termID int32, offset, length int) {
	d.scanned = gap{termID: termID, termOffset: int32(offset), length: int32(length)}
	d.found = true
}
