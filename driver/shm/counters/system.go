package counters

import (
	"encoding/binary"
	"fmt"
)

// System counter ids, fixed by Aeron (aeron_counters.h, §6.5).
const (
	BytesSent = iota
	BytesReceived
	ReceiverProxyFails
	SenderProxyFails
	ConductorProxyFails
	NakMessagesSent
	NakMessagesReceived
	StatusMessagesSent
	StatusMessagesReceived
	HeartbeatsSent
	HeartbeatsReceived
	RetransmitsSent
	FlowControlUnderRuns
	FlowControlOverRuns
	InvalidPackets
	Errors
	ShortSends
	FreeFails
	SenderFlowControlLimits
	UnblockedPublications
	UnblockedCommands
	PossibleTTLAsymmetry
	ControllableIdleStrategy
	LossGapFills
	ClientTimeouts
	ResolutionChanges
	ConductorMaxCycleTime
	ConductorCycleTimeThresholdExceeded
	SenderMaxCycleTime
	SenderCycleTimeThresholdExceeded
	ReceiverMaxCycleTime
	ReceiverCycleTimeThresholdExceeded
	NameResolverMaxTime
	NameResolverTimeThresholdExceeded
	AeronVersion
	BytesCurrentlyMapped
	RetransmittedBytes
	RetransmitOverflow
	ErrorFramesReceived
	ErrorFramesSent
	PublicationsRevoked
	PublicationImagesRevoked
	ImagesRejected
	ControlProtocolVersion
	StatusMessagesRejected
	NativeResourceAgentProxyFails
	systemCounterCount
)

// SystemLabels are the labels Aeron's drivers give the system counters;
// AeronStat shows them. Entries with %s take the version and commit.
var SystemLabels = [systemCounterCount]string{
	"Bytes sent", "Bytes received", "Failed offers to ReceiverProxy", "Failed offers to SenderProxy",
	"Failed offers to DriverConductorProxy", "NAKs sent", "NAKs received", "Status Messages sent",
	"Status Messages received", "Heartbeats sent", "Heartbeats received", "Retransmits sent",
	"Flow control under runs", "Flow control over runs", "Invalid packets", "Errors: version=%s commit=%s",
	"Short sends", "Failed attempts to free log buffers", "Sender flow control limits, i.e. back-pressure events",
	"Unblocked Publications", "Unblocked Control Commands", "Possible TTL Asymmetry",
	"ControllableIdleStrategy status", "Loss gap fills", "Client liveness timeouts", "Resolution changes",
	"Conductor max cycle time doing its work in ns", "Conductor work cycle exceeded threshold count",
	"Sender max cycle time doing its work in ns", "Sender work cycle exceeded threshold count",
	"Receiver max cycle time doing its work in ns", "Receiver work cycle exceeded threshold count",
	"NameResolver max time in ns", "NameResolver exceeded threshold count",
	"Aeron software: version=%s commit=%s", "Bytes currently mapped", "Retransmitted bytes",
	"Retransmit Pool Overflow count", "Error Frames received", "Error Frames sent", "Publications Revoked",
	"Publication Images Revoked", "Images rejected", "Control protocol version", "Status Messages rejected",
	"Failed offers to AsyncExecutorProxy",
}

// ComposeVersion encodes a semantic version as Aeron does.
func ComposeVersion(major, minor, patch int) int64 {
	return int64(major)<<16 | int64(minor)<<8 | int64(patch)
}

// SystemCounters are the driver's fixed counters, ids 0..45.
type SystemCounters struct {
	counters [systemCounterCount]Counter
}

// AllocateSystemCounters allocates every system counter in id order; it
// must be the first allocation on a fresh manager.
// threadingMode and the cycle threshold are appended to the duty-cycle
// counters' labels, as Aeron's drivers do.
func AllocateSystemCounters(m *Manager, version, commit string, major, minor, patch int, threadingMode string, cycleThreshold string) (*SystemCounters, error) {
	s := &SystemCounters{}
	key := make([]byte, 4)
	for i, label := range SystemLabels {
		switch i {
		case Errors, AeronVersion:
			label = fmt.Sprintf(label, version, commit)
		case ConductorMaxCycleTime, SenderMaxCycleTime, ReceiverMaxCycleTime:
			label += ": " + threadingMode
		case ConductorCycleTimeThresholdExceeded, SenderCycleTimeThresholdExceeded, ReceiverCycleTimeThresholdExceeded:
			label += ": threshold=" + cycleThreshold + " " + threadingMode
		case ResolutionChanges:
			// No driver name resolver is configured.
			label += ": driverName=null"
		case NameResolverTimeThresholdExceeded:
			label += ": threshold=5s"
		}
		binary.LittleEndian.PutUint32(key, uint32(i))
		id, err := m.Allocate(TypeSystem, key, label)
		if err != nil {
			return nil, fmt.Errorf("allocate system counter %q: %w", label, err)
		}
		if id != int32(i) {
			return nil, fmt.Errorf("system counter %q got id %d, want %d (not the first allocation)", label, id, i)
		}
		m.SetRegistrationID(id, int64(id))
		m.SetOwnerID(id, -1)
		s.counters[i] = m.Counter(id)
	}
	s.counters[AeronVersion].Set(ComposeVersion(major, minor, patch))
	s.counters[ControlProtocolVersion].Set(ComposeVersion(1, 0, 0))
	return s, nil
}

// Get returns system counter id.
func (s *SystemCounters) Get(id int) Counter { return s.counters[id] }
