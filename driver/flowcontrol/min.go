package flowcontrol

import (
	"math"

	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
)

// initialReceiverCapacity is how many receivers a min/tagged strategy holds
// before its first growth; beyond it, adding a receiver allocates (rarely:
// once per doubling).
const initialReceiverCapacity = 8

// noSetupLimit marks that no SETUP-held limit is in force.
const noSetupLimit = -1

// receiver is one receiver a min/tagged strategy tracks.
type receiver struct {
	id                     int64
	lastPositionPlusWindow int64
	timeOfLastSMNs         int64
	// eos is set by an SM with EOS or by an ERR frame; the receiver is
	// dropped on the next idle.
	eos bool
}

// minStrategy is Aeron's MinMulticastFlowControl and, with tagged set, its
// TaggedMulticastFlowControl (AbstractMinMulticastFlowControl,
// aeron_min_flow_control.c).
type minStrategy struct {
	tagged       bool
	groupTag     int64
	groupMinSize int
	timeoutNs    int64
	retransmit   retransmitCap

	receivers []receiver

	// A SETUP sent in answer to an SM's SEND_SETUP lets a new receiver join;
	// until it does (or the timeout passes) the limit the SETUP carried is a
	// ceiling, so the existing receivers cannot pull the sender further
	// ahead of the newcomer.
	setupTriggered       bool
	lastSetupSenderLimit int64
	timeOfLastSetupNs    int64
}

func newMinStrategy(tagged bool, groupTag int64, groupMinSize int, timeoutNs int64, rc retransmitCap) *minStrategy {
	return &minStrategy{
		tagged:               tagged,
		groupTag:             groupTag,
		groupMinSize:         groupMinSize,
		timeoutNs:            timeoutNs,
		retransmit:           rc,
		receivers:            make([]receiver, 0, initialReceiverCapacity),
		lastSetupSenderLimit: noSetupLimit,
	}
}

// smMatches says whether an SM counts: always for min, and for tagged only
// when it carries the strategy's group tag.
func (s *minStrategy) smMatches(sm *protocol.StatusMessage) bool {
	return !s.tagged || (sm.HasGroupTag && sm.GroupTag == s.groupTag)
}

// setupLimit is the ceiling a recent SETUP imposes, or MaxInt64 when there
// is none or it has expired.
func (s *minStrategy) setupLimit(nowNs int64) int64 {
	if s.lastSetupSenderLimit != noSetupLimit {
		if s.timeOfLastSetupNs+s.timeoutNs-nowNs < 0 {
			s.lastSetupSenderLimit = noSetupLimit
		} else {
			return s.lastSetupSenderLimit
		}
	}
	return math.MaxInt64
}

func (s *minStrategy) OnStatusMessage(sm *protocol.StatusMessage, senderLimit int64, initialTermID int32, bitsToShift uint, nowNs int64) int64 {
	position := logbuffer.ComputePosition(sm.ConsumptionTermID, sm.ConsumptionTermOffset, bitsToShift, initialTermID)
	window := int64(sm.ReceiverWindow)
	rightEdge := position + window
	eos := sm.Flags&protocol.SMFlagEOS != 0
	matches := s.smMatches(sm)

	existing := false
	minEdge := s.setupLimit(nowNs)
	for i := range s.receivers {
		r := &s.receivers[i]
		if matches && r.id == sm.ReceiverID {
			r.eos = eos
			r.lastPositionPlusWindow = rightEdge
			r.timeOfLastSMNs = nowNs
			existing = true
		}
		minEdge = min(minEdge, r.lastPositionPlusWindow)
	}

	// A newcomer joins only if it is no more than a window behind the
	// slowest receiver; one further behind would stall everyone.
	if !existing && !eos && matches && (len(s.receivers) == 0 || rightEdge >= minEdge-window) {
		s.receivers = append(s.receivers, receiver{id: sm.ReceiverID, lastPositionPlusWindow: rightEdge, timeOfLastSMNs: nowNs})
		minEdge = min(minEdge, rightEdge)
		s.lastSetupSenderLimit = noSetupLimit
	}

	switch {
	case len(s.receivers) < s.groupMinSize:
		return senderLimit
	case len(s.receivers) == 0:
		return max(senderLimit, rightEdge)
	default:
		return max(senderLimit, minEdge)
	}
}

func (s *minStrategy) OnIdle(nowNs, senderLimit, senderPosition int64, isEndOfStream bool) int64 {
	minEdge := s.setupLimit(nowNs)
	// Remove by swapping the last in, walking backwards so every receiver is
	// seen once (Aeron's fast unordered remove).
	last := len(s.receivers) - 1
	for i := last; i >= 0; i-- {
		r := s.receivers[i]
		if r.timeOfLastSMNs+s.timeoutNs-nowNs < 0 || r.eos {
			s.receivers[i] = s.receivers[last]
			last--
		} else {
			minEdge = min(minEdge, r.lastPositionPlusWindow)
		}
	}
	s.receivers = s.receivers[:last+1]

	if len(s.receivers) < s.groupMinSize || len(s.receivers) == 0 {
		return senderLimit
	}
	return minEdge
}

func (s *minStrategy) OnTriggerSendSetup(sm *protocol.StatusMessage, nowNs int64) {
	if !s.setupTriggered {
		s.setupTriggered = s.smMatches(sm)
	}
}

func (s *minStrategy) OnError(e *protocol.ErrorFrame, nowNs int64) {
	// Aeron's Java tagged strategy heeds only an ERR with its group tag; its C
	// driver heeds every ERR. We follow Java, the precise one.
	if s.tagged && (e.Flags&protocol.ErrFlagHasGroupTag == 0 || e.GroupTag != s.groupTag) {
		return
	}
	for i := range s.receivers {
		if s.receivers[i].id == e.ReceiverID {
			s.receivers[i].eos = true
			break
		}
	}
}

func (s *minStrategy) OnSetup(senderLimit, senderPosition int64, nowNs int64) int64 {
	if s.setupTriggered && len(s.receivers) > 0 {
		s.timeOfLastSetupNs = nowNs
		s.lastSetupSenderLimit = senderLimit
	}
	s.setupTriggered = false
	return senderLimit
}

func (s *minStrategy) HasRequiredReceivers() bool { return len(s.receivers) >= s.groupMinSize }

func (s *minStrategy) MaxRetransmissionLength(resendOffset, resendLength, termBufferLength, mtuLength int) int {
	return s.retransmit.length(resendOffset, resendLength, termBufferLength)
}

func (s *minStrategy) ReceiverCount() int { return len(s.receivers) }
