package conductor

import "github.com/aeron-bypass/aeron-bypass/driver/logbuffer"

// blockWatch follows a concurrent publication's consumer position, to
// notice when it stops short of the producer: a client that died between
// claiming space and committing it holds every publisher and subscriber
// of the stream behind that gap. Exclusive publications are left alone,
// as Aeron does: their one publisher may simply be slow to commit.
type blockWatch struct {
	lastPosition int64
	lastChangeNs int64
}

// unblock pads over (or finishes the rotation past) a region a publisher
// claimed and never committed, once the consumer position has been stuck
// before it for the publication unblock timeout. consumer is the snd-pos
// of a network publication, the furthest subscriber of an IPC one
// (aeron_network_publication_check_for_blocked_publisher,
// LogBufferUnblocker.java).
func (c *Conductor) unblock(w *blockWatch, log *logbuffer.LogBuffers, bits uint, consumer, nowNs int64) int {
	meta := log.Meta()
	count := logbuffer.ActiveTermCount(meta)
	expected := int32(consumer >> bits)
	if consumer != w.lastPosition || (logbuffer.ProducerPosition(meta) <= consumer && count == expected) {
		w.lastPosition, w.lastChangeNs = consumer, nowNs
		return 0
	}
	if nowNs-w.lastChangeNs < int64(c.cfg.PublicationUnblockTimeout) {
		return 0
	}
	initial := logbuffer.InitialTermID(meta)
	termID := logbuffer.TermIDFromPosition(consumer, bits, initial)
	offset := int(logbuffer.TermOffsetFromPosition(consumer, bits))
	unblocked := false
	if count == expected-1 && offset == 0 {
		// The term before filled up and its last publisher died before
		// moving the active partition on: only the rotation is missing.
		raw := logbuffer.RawTailVolatile(meta, logbuffer.IndexByTermCount(int64(count)))
		unblocked = logbuffer.RotateLog(meta, count, logbuffer.TermID(raw))
	} else {
		index := logbuffer.IndexByPosition(consumer, bits)
		termLength := int(logbuffer.TermLengthOf(meta))
		raw := logbuffer.RawTailVolatile(meta, index)
		tailOffset := termLength
		if logbuffer.TermID(raw) == termID {
			tailOffset = int(logbuffer.TermOffset(raw, termLength))
		}
		switch logbuffer.Unblock(log.Term(index), logbuffer.DefaultFrameHeader(meta), termID, offset, tailOffset) {
		case logbuffer.Unblocked:
			unblocked = true
		case logbuffer.UnblockedToEnd:
			if logbuffer.TermCount(termID, initial) == count {
				logbuffer.RotateLog(meta, count, termID)
			}
			unblocked = true
		}
	}
	if !unblocked {
		return 0
	}
	c.ctx.System.UnblockedPublications.Increment()
	w.lastChangeNs = nowNs
	return 1
}
