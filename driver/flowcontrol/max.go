package flowcontrol

import (
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
)

// maxStrategy is both Aeron's UnicastFlowControl and its
// MaxMulticastFlowControl: the sender limit is the furthest right edge any
// receiver has shown, and nothing is tracked. The two differ only in the
// default retransmit receiver window multiple, which New chooses.
type maxStrategy struct {
	retransmit retransmitCap
}

func (s *maxStrategy) OnStatusMessage(sm *protocol.StatusMessage, senderLimit int64, initialTermID int32, bitsToShift uint, nowNs int64) int64 {
	position := logbuffer.ComputePosition(sm.ConsumptionTermID, sm.ConsumptionTermOffset, bitsToShift, initialTermID)
	return max(senderLimit, position+int64(sm.ReceiverWindow))
}

func (s *maxStrategy) OnIdle(nowNs, senderLimit, senderPosition int64, isEndOfStream bool) int64 {
	return senderLimit
}

func (s *maxStrategy) OnTriggerSendSetup(sm *protocol.StatusMessage, nowNs int64) {}

func (s *maxStrategy) OnError(e *protocol.ErrorFrame, nowNs int64) {}

func (s *maxStrategy) OnSetup(senderLimit, senderPosition int64, nowNs int64) int64 {
	return senderLimit
}

func (s *maxStrategy) HasRequiredReceivers() bool { return true }

func (s *maxStrategy) MaxRetransmissionLength(resendOffset, resendLength, termBufferLength, mtuLength int) int {
	return s.retransmit.length(resendOffset, resendLength, termBufferLength)
}

func (s *maxStrategy) ReceiverCount() int { return 0 }
