package counters

import (
	"encoding/binary"
	"fmt"
)

// System counter ids, fixed by Aeron (aeron_counters.h, §6.5).
const (
	BytesSentID = iota
	BytesReceivedID
	ReceiverProxyFailsID
	SenderProxyFailsID
	ConductorProxyFailsID
	NakMessagesSentID
	NakMessagesReceivedID
	StatusMessagesSentID
	StatusMessagesReceivedID
	HeartbeatsSentID
	HeartbeatsReceivedID
	RetransmitsSentID
	FlowControlUnderRunsID
	FlowControlOverRunsID
	InvalidPacketsID
	ErrorsID
	ShortSendsID
	FreeFailsID
	SenderFlowControlLimitsID
	UnblockedPublicationsID
	UnblockedCommandsID
	PossibleTTLAsymmetryID
	ControllableIdleStrategyID
	LossGapFillsID
	ClientTimeoutsID
	ResolutionChangesID
	ConductorMaxCycleTimeID
	ConductorCycleTimeThresholdExceededID
	SenderMaxCycleTimeID
	SenderCycleTimeThresholdExceededID
	ReceiverMaxCycleTimeID
	ReceiverCycleTimeThresholdExceededID
	NameResolverMaxTimeID
	NameResolverTimeThresholdExceededID
	AeronVersionID
	BytesCurrentlyMappedID
	RetransmittedBytesID
	RetransmitOverflowID
	ErrorFramesReceivedID
	ErrorFramesSentID
	PublicationsRevokedID
	PublicationImagesRevokedID
	ImagesRejectedID
	ControlProtocolVersionID
	StatusMessagesRejectedID
	NativeResourceAgentProxyFailsID
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

// SystemCounters are the driver's fixed counters, ids 0..45, one field per
// counter named as in Aeron's SystemCounterDescriptor.
type SystemCounters struct {
	BytesSent                           Counter
	BytesReceived                       Counter
	ReceiverProxyFails                  Counter
	SenderProxyFails                    Counter
	ConductorProxyFails                 Counter
	NakMessagesSent                     Counter
	NakMessagesReceived                 Counter
	StatusMessagesSent                  Counter
	StatusMessagesReceived              Counter
	HeartbeatsSent                      Counter
	HeartbeatsReceived                  Counter
	RetransmitsSent                     Counter
	FlowControlUnderRuns                Counter
	FlowControlOverRuns                 Counter
	InvalidPackets                      Counter
	Errors                              Counter
	ShortSends                          Counter
	FreeFails                           Counter
	SenderFlowControlLimits             Counter
	UnblockedPublications               Counter
	UnblockedCommands                   Counter
	PossibleTTLAsymmetry                Counter
	ControllableIdleStrategy            Counter
	LossGapFills                        Counter
	ClientTimeouts                      Counter
	ResolutionChanges                   Counter
	ConductorMaxCycleTime               Counter
	ConductorCycleTimeThresholdExceeded Counter
	SenderMaxCycleTime                  Counter
	SenderCycleTimeThresholdExceeded    Counter
	ReceiverMaxCycleTime                Counter
	ReceiverCycleTimeThresholdExceeded  Counter
	NameResolverMaxTime                 Counter
	NameResolverTimeThresholdExceeded   Counter
	AeronVersion                        Counter
	BytesCurrentlyMapped                Counter
	RetransmittedBytes                  Counter
	RetransmitOverflow                  Counter
	ErrorFramesReceived                 Counter
	ErrorFramesSent                     Counter
	PublicationsRevoked                 Counter
	PublicationImagesRevoked            Counter
	ImagesRejected                      Counter
	ControlProtocolVersion              Counter
	StatusMessagesRejected              Counter
	NativeResourceAgentProxyFails       Counter
}

// all lists the fields in id order.
func (s *SystemCounters) all() [systemCounterCount]*Counter {
	return [systemCounterCount]*Counter{
		&s.BytesSent,
		&s.BytesReceived,
		&s.ReceiverProxyFails,
		&s.SenderProxyFails,
		&s.ConductorProxyFails,
		&s.NakMessagesSent,
		&s.NakMessagesReceived,
		&s.StatusMessagesSent,
		&s.StatusMessagesReceived,
		&s.HeartbeatsSent,
		&s.HeartbeatsReceived,
		&s.RetransmitsSent,
		&s.FlowControlUnderRuns,
		&s.FlowControlOverRuns,
		&s.InvalidPackets,
		&s.Errors,
		&s.ShortSends,
		&s.FreeFails,
		&s.SenderFlowControlLimits,
		&s.UnblockedPublications,
		&s.UnblockedCommands,
		&s.PossibleTTLAsymmetry,
		&s.ControllableIdleStrategy,
		&s.LossGapFills,
		&s.ClientTimeouts,
		&s.ResolutionChanges,
		&s.ConductorMaxCycleTime,
		&s.ConductorCycleTimeThresholdExceeded,
		&s.SenderMaxCycleTime,
		&s.SenderCycleTimeThresholdExceeded,
		&s.ReceiverMaxCycleTime,
		&s.ReceiverCycleTimeThresholdExceeded,
		&s.NameResolverMaxTime,
		&s.NameResolverTimeThresholdExceeded,
		&s.AeronVersion,
		&s.BytesCurrentlyMapped,
		&s.RetransmittedBytes,
		&s.RetransmitOverflow,
		&s.ErrorFramesReceived,
		&s.ErrorFramesSent,
		&s.PublicationsRevoked,
		&s.PublicationImagesRevoked,
		&s.ImagesRejected,
		&s.ControlProtocolVersion,
		&s.StatusMessagesRejected,
		&s.NativeResourceAgentProxyFails,
	}
}

// AllocateSystemCounters allocates every system counter in id order; it
// must be the first allocation on a fresh manager. threadingMode and the
// cycle threshold are appended to the duty-cycle counters' labels, as
// Aeron's drivers do (DriverConductor, SystemCounterDescriptor.java).
func AllocateSystemCounters(m *Manager, version, commit string, major, minor, patch int, threadingMode string, cycleThreshold string) (*SystemCounters, error) {
	s := &SystemCounters{}
	fields := s.all()
	var key [4]byte
	for i, label := range SystemLabels {
		switch i {
		case ErrorsID, AeronVersionID:
			label = fmt.Sprintf(label, version, commit)
		case ConductorMaxCycleTimeID, SenderMaxCycleTimeID, ReceiverMaxCycleTimeID:
			label += ": " + threadingMode
		case ConductorCycleTimeThresholdExceededID, SenderCycleTimeThresholdExceededID, ReceiverCycleTimeThresholdExceededID:
			label += ": threshold=" + cycleThreshold + " " + threadingMode
		case ResolutionChangesID:
			// No name resolver is configured; Aeron's Java driver appends
			// this once its conductor starts.
			label += ": driverName=null"
		case NameResolverTimeThresholdExceededID:
			label += ": threshold=5s"
		}
		// The key of a system counter is its id (SystemCounterDescriptor).
		binary.LittleEndian.PutUint32(key[:], uint32(i))
		id, err := m.Allocate(TypeSystem, key[:], label)
		if err != nil {
			return nil, fmt.Errorf("allocate system counter %q: %w", label, err)
		}
		if id != int32(i) {
			return nil, fmt.Errorf("system counter %q got id %d, want %d (not the first allocation)", label, id, i)
		}
		m.SetCounterRegistrationID(id, int64(id))
		m.SetCounterOwnerID(id, -1)
		*fields[i] = m.Counter(id)
	}
	s.AeronVersion.Set(ComposeVersion(major, minor, patch))
	// Control protocol 1.0.0 (§7).
	s.ControlProtocolVersion.Set(ComposeVersion(1, 0, 0))
	return s, nil
}

// Get returns the system counter with the given id.
func (s *SystemCounters) Get(id int) Counter {
	if id < 0 || id >= systemCounterCount {
		return Counter{}
	}
	return *s.all()[id]
}
