package receiver

import (
	"net/netip"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/driver/congestion"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/lossdetect"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// connectionTimeoutNs is how long a sender address stays a target for
// status messages and NAKs without sending anything (Aeron's receive
// destination timeout).
const connectionTimeoutNs = int64(5e9)

// ImageParams describe a publication image to the receiver. The conductor
// creates the log and counters from a SETUP.
type ImageParams struct {
	CorrelationID int64
	SessionID     int32
	StreamID      int32
	InitialTermID int32
	ActiveTermID  int32
	TermOffset    int32
	TermLength    int
	MTU           int
	Log           *logbuffer.LogBuffers
	Endpoint      *Endpoint
	// Source is the sender's address; Control is where status messages
	// and NAKs go (the source for unicast, the control group for
	// multicast).
	Source, Control netip.AddrPort
	// Destination is the endpoint socket the SETUP came through.
	Destination int
	HWM, RcvPos counters.Counter
	NaksSent    counters.Counter
	CC          congestion.Control
	NakDelay    lossdetect.DelayGenerator
	Reliable    bool
	// CCRTT and CCWindow, when valid, show cubic congestion control's
	// RTT estimate and window (per-image counters).
	CCRTT, CCWindow counters.Counter
	SMTimeoutNs     int64
	System          *counters.SystemCounters
}

// connection is a sender the image hears, through one of the endpoint's
// sockets: status messages, NAKs and RTT replies go back that way.
type connection struct {
	dest       int
	control    netip.AddrPort
	lastSeenNs int64
	eos        bool
}

// Image is a network publication's receiving side: it rebuilds the log
// from DATA frames, finds gaps and NAKs them, and sends status messages.
// Fields without atomics belong to the receiver thread.
type Image struct {
	p     ImageParams
	terms [logbuffer.PartitionCount]shm.AtomicBuffer
	meta  shm.AtomicBuffer
	bits  uint
	mask  int64
	sys   *counters.SystemCounters
	ep    *Endpoint
	loss  *lossdetect.Detector

	JoinPosition int64

	lastSMPosition   int64
	lastSMWindow     int
	nextSMPosition   int64
	nextSMWindow     int
	smDeadlineNs     int64
	cleanPosition    int64
	overrunThreshold int64
	conns            []connection
	nowNs            int64
	eosSeen          bool

	smBuf  [protocol.SMWithGroupTagLength]byte
	nakBuf [protocol.NakLength]byte
	rtBuf  [protocol.RTTMLength]byte

	// Shared with the conductor.
	subscribers      atomic.Pointer[[]counters.Counter]
	timeOfLastPacket atomic.Int64
	endOfStream      atomic.Bool
	draining         atomic.Bool
	released         atomic.Bool
	// rejected is set by the conductor after rejectReason, so the
	// receiver reads the reason once it sees the flag.
	rejected     atomic.Bool
	rejectReason []byte
	errBuf       []byte
	// responseSession is the session of the response publication a
	// server made for this (request) image, 1<<32 | uint32(id), or 0:
	// while set, each status message goes with a response setup telling
	// the client's driver which session to subscribe to.
	responseSession atomic.Int64
	rspBuf          [protocol.ResponseSetupLength]byte
}

// NewImage prepares an image for the receiver.
func NewImage(p ImageParams, nowNs int64) *Image {
	bits := logbuffer.PositionBitsToShift(p.TermLength)
	join := logbuffer.ComputePosition(p.ActiveTermID, p.TermOffset, bits, p.InitialTermID)
	img := &Image{
		p: p, meta: p.Log.Meta(), bits: bits, mask: int64(p.TermLength - 1), sys: p.System, ep: p.Endpoint,
		JoinPosition: join, lastSMPosition: join, nextSMPosition: join, cleanPosition: join,
		overrunThreshold: join + int64(p.TermLength/2),
		lastSMWindow:     p.CC.InitialWindowLength(), nextSMWindow: p.CC.InitialWindowLength(),
	}
	for i := range img.terms {
		img.terms[i] = p.Log.Term(i)
	}
	img.loss = lossdetect.New(p.NakDelay, img)
	img.conns = append(img.conns, connection{dest: p.Destination, control: p.Control, lastSeenNs: nowNs})
	img.timeOfLastPacket.Store(nowNs)
	empty := []counters.Counter{}
	img.subscribers.Store(&empty)
	return img
}

// SetResponseSession starts sending response setups naming sessionID.
func (img *Image) SetResponseSession(sessionID int32) {
	img.responseSession.Store(1<<32 | int64(uint32(sessionID)))
}

// ClearResponseSession stops the response setups: the client connected.
func (img *Image) ClearResponseSession() { img.responseSession.Store(0) }

// CorrelationID is the image's registration id.
func (img *Image) CorrelationID() int64 { return img.p.CorrelationID }

// SessionID and StreamID identify the stream.
func (img *Image) SessionID() int32 { return img.p.SessionID }
func (img *Image) StreamID() int32  { return img.p.StreamID }

// Endpoint is the receive endpoint the image belongs to.
func (img *Image) Endpoint() *Endpoint { return img.p.Endpoint }

// SetSubscribers replaces the subscriber positions the image reads
// (copy-on-write: the receiver reads the slice without locks).
func (img *Image) SetSubscribers(positions []counters.Counter) {
	cp := append([]counters.Counter(nil), positions...)
	img.subscribers.Store(&cp)
}

// TimeOfLastPacketNs is when DATA or a heartbeat last arrived.
func (img *Image) TimeOfLastPacketNs() int64 { return img.timeOfLastPacket.Load() }

// EndOfStream says the sender signalled end of stream.
func (img *Image) EndOfStream() bool { return img.endOfStream.Load() }

// SetDraining makes status messages carry the EOS flag.
func (img *Image) SetDraining() { img.draining.Store(true) }

// Reject makes the image refuse its stream (a client's REJECT_IMAGE): data
// is dropped, and instead of status messages the senders get ERR frames
// with the reason, so they stop counting this receiver.
func (img *Image) Reject(reason string) {
	if len(reason) > protocol.MaxErrorTextLength {
		reason = reason[:protocol.MaxErrorTextLength]
	}
	img.rejectReason = []byte(reason)
	img.errBuf = make([]byte, protocol.ErrHeaderLength+protocol.MaxErrorTextLength+8)
	img.rejected.Store(true)
}

// Rejected says a client rejected the image.
func (img *Image) Rejected() bool { return img.rejected.Load() }

// Released says the receiver has let go of the image.
func (img *Image) Released() bool { return img.released.Load() }

// insertPacket puts a DATA datagram (or heartbeat) into the log.
func (img *Image) insertPacket(b []byte, hdr *protocol.DataHeader, di int, src netip.AddrPort, nowNs int64) {
	if logbuffer.TermCount(hdr.TermID, img.p.InitialTermID) < 0 || img.rejected.Load() {
		return
	}
	heartbeat := hdr.FrameLength == 0
	length := 0
	if !heartbeat {
		if _, err := protocol.ScanDataDatagram(b, int32(img.p.TermLength)); err != nil {
			img.sys.InvalidPackets.Increment()
			return
		}
		length = len(b)
	}
	packetPos := logbuffer.ComputePosition(hdr.TermID, hdr.TermOffset, img.bits, img.p.InitialTermID)
	// The datagram's own length, not the term space a trailing PAD frame
	// covers: a sender counts a PAD as its header against the flow-control
	// limit, so the padding at a term's end would look like an overrun.
	// The gap scan walks the PAD's full length anyway.
	proposed := packetPos + int64(length)
	if packetPos < img.lastSMPosition && proposed <= img.lastSMPosition {
		img.sys.FlowControlUnderRuns.Increment()
		img.trackConnection(di, src, nowNs, false)
		return
	}
	if proposed > img.overrunThreshold {
		img.sys.FlowControlOverRuns.Increment()
		return
	}
	if heartbeat {
		img.sys.HeartbeatsReceived.Increment()
		eos := hdr.Flags&protocol.FlagEOS != 0
		img.trackConnection(di, src, nowNs, eos)
		if eos && !img.eosSeen && img.allConnectionsEOS() {
			img.eosSeen = true
			logbuffer.SetEndOfStreamPosition(img.meta, packetPos)
			img.endOfStream.Store(true)
		}
	} else {
		img.trackConnection(di, src, nowNs, false)
		term := img.terms[logbuffer.IndexByPosition(packetPos, img.bits)]
		logbuffer.Insert(term, int(hdr.TermOffset), b)
	}
	img.timeOfLastPacket.Store(nowNs)
	img.p.HWM.ProposeMax(proposed)
}

// trackConnection notes a frame from src on destination di. Multicast
// status messages go to the control group, whoever sent.
func (img *Image) trackConnection(di int, src netip.AddrPort, nowNs int64, eos bool) {
	control := img.ep.controlFor(di, src)
	for i := range img.conns {
		if img.conns[i].dest == di && img.conns[i].control == control {
			img.conns[i].lastSeenNs, img.conns[i].eos = nowNs, eos
			return
		}
	}
	img.conns = append(img.conns, connection{dest: di, control: control, lastSeenNs: nowNs, eos: eos})
}

// dropConnections forgets the connections through a removed destination.
func (img *Image) dropConnections(di int) {
	kept := img.conns[:0]
	for _, c := range img.conns {
		if c.dest != di {
			kept = append(kept, c)
		}
	}
	img.conns = kept
	// Clients see the destination gone at once, as Aeron's driver shows it.
	logbuffer.SetActiveTransportCount(img.meta, int32(img.liveConnections(img.nowNs)))
}

func (img *Image) allConnectionsEOS() bool {
	for i := range img.conns {
		if img.nowNs-img.conns[i].lastSeenNs <= connectionTimeoutNs && !img.conns[i].eos {
			return false
		}
	}
	return true
}

// trackRebuild advances rcv-pos over the rebuilt log, detects loss and
// schedules status messages (aeron_publication_image_track_rebuild).
func (img *Image) trackRebuild(nowNs int64) int {
	img.nowNs = nowNs
	subs := *img.subscribers.Load()
	if len(subs) == 0 {
		return 0
	}
	minSub, maxSub := int64(1<<62), int64(-1)
	for _, s := range subs {
		v := s.Get()
		minSub = min(minSub, v)
		maxSub = max(maxSub, v)
	}
	rebuild := max(img.p.RcvPos.Get(), maxSub)
	hwm := img.p.HWM.Get()
	term := img.terms[logbuffer.IndexByPosition(rebuild, img.bits)]
	offset, lossFound := img.loss.Scan(term, rebuild, hwm, nowNs, int(img.mask), img.bits, img.p.InitialTermID)
	termBase := rebuild - (rebuild & img.mask)
	newRebuild := termBase + int64(offset)
	if newRebuild > rebuild {
		img.p.RcvPos.ProposeMax(newRebuild)
	}
	window, force := img.p.CC.OnTrackRebuild(nowNs, minSub, img.nextSMPosition, hwm, rebuild, newRebuild, lossFound)
	if img.p.CCWindow.Valid() {
		img.p.CCWindow.Set(int64(window))
		img.p.CCRTT.Set(img.p.CC.RTT())
	}
	work := 0
	if force || minSub > img.nextSMPosition+int64(window/4) || window != img.nextSMWindow {
		logbuffer.Clean(img.p.Log, &img.cleanPosition, minSub-int64(img.p.TermLength))
		img.nextSMPosition, img.nextSMWindow = minSub, window
		img.smDeadlineNs = 0
		work++
	}
	return work
}

// sendPendingStatus sends a scheduled or timed-out status message and, for
// cubic congestion control, RTT measurements.
func (img *Image) sendPendingStatus(nowNs int64) int {
	work := 0
	if img.rejected.Load() {
		if nowNs >= img.smDeadlineNs {
			img.sendErrorFrame(nowNs)
			work++
		}
		return work
	}
	if nowNs >= img.smDeadlineNs {
		img.sendStatusMessage(nowNs)
		work++
	}
	if img.p.CC.ShouldMeasureRTT(nowNs) {
		n := protocol.RTTM{Flags: protocol.RTTMFlagReply, SessionID: img.p.SessionID, StreamID: img.p.StreamID,
			EchoTimestamp: nowNs, ReceiverID: img.ep.ReceiverID}.Encode(img.rtBuf[:])
		img.toConnections(img.rtBuf[:n], nowNs)
		img.p.CC.OnRTTMeasurementSent(nowNs)
		work++
	}
	return work
}

func (img *Image) sendStatusMessage(nowNs int64) {
	pos, window := img.nextSMPosition, img.nextSMWindow
	var flags uint8
	if img.draining.Load() {
		flags = protocol.SMFlagEOS
	}
	sm := protocol.StatusMessage{Flags: flags, SessionID: img.p.SessionID, StreamID: img.p.StreamID,
		ConsumptionTermID:     logbuffer.TermIDFromPosition(pos, img.bits, img.p.InitialTermID),
		ConsumptionTermOffset: int32(pos & img.mask), ReceiverWindow: int32(window), ReceiverID: img.ep.ReceiverID,
		GroupTag: img.ep.GroupTag, HasGroupTag: img.ep.HasGroupTag}
	n := sm.Encode(img.smBuf[:])
	if img.toConnections(img.smBuf[:n], nowNs) > 0 {
		img.sys.StatusMessagesSent.Increment()
	}
	if rs := img.responseSession.Load(); rs != 0 {
		n := protocol.ResponseSetup{SessionID: img.p.SessionID, StreamID: img.p.StreamID,
			ResponseSessionID: int32(uint32(rs))}.Encode(img.rspBuf[:])
		img.toConnections(img.rspBuf[:n], nowNs)
	}
	img.lastSMPosition, img.lastSMWindow = pos, window
	img.overrunThreshold = pos + int64(img.p.TermLength/2)
	img.smDeadlineNs = nowNs + img.p.SMTimeoutNs
	logbuffer.SetActiveTransportCount(img.meta, int32(img.liveConnections(nowNs)))
}

// sendErrorFrame tells the senders the image was rejected (error code
// IMAGE_REJECTED with the client's reason), once per status message
// interval.
func (img *Image) sendErrorFrame(nowNs int64) {
	ef := protocol.ErrorFrame{SessionID: img.p.SessionID, StreamID: img.p.StreamID, ReceiverID: img.ep.ReceiverID,
		ErrorCode: imageRejectedCode, Text: img.rejectReason}
	if img.ep.HasGroupTag {
		ef.Flags, ef.GroupTag = protocol.ErrFlagHasGroupTag, img.ep.GroupTag
	}
	n := ef.Encode(img.errBuf)
	if img.toConnections(img.errBuf[:n], nowNs) > 0 {
		img.sys.ErrorFramesSent.Increment()
	}
	img.smDeadlineNs = nowNs + img.p.SMTimeoutNs
}

// imageRejectedCode is Aeron's IMAGE_REJECTED error code.
const imageRejectedCode = 13

func (img *Image) liveConnections(nowNs int64) int {
	n := 0
	for i := range img.conns {
		if nowNs-img.conns[i].lastSeenNs <= connectionTimeoutNs {
			n++
		}
	}
	return n
}

// toConnections sends a control frame to every live sender address.
func (img *Image) toConnections(b []byte, nowNs int64) int {
	sent := 0
	for i := range img.conns {
		if nowNs-img.conns[i].lastSeenNs > connectionTimeoutNs {
			continue
		}
		if img.ep.sendTo(img.conns[i].dest, b, img.conns[i].control) {
			sent++
		}
	}
	return sent
}

// OnGapDetected implements lossdetect.Handler: NAK the gap, or fill it
// with padding on an unreliable stream.
func (img *Image) OnGapDetected(termID, termOffset, length int32) {
	if img.rejected.Load() {
		return
	}
	if !img.p.Reliable {
		term := img.terms[logbuffer.IndexByTerm(img.p.InitialTermID, termID)]
		if logbuffer.FillGap(term, logbuffer.DefaultFrameHeader(img.meta), termID, int(termOffset), int(length)) {
			img.sys.LossGapFills.Increment()
		}
		return
	}
	n := protocol.Nak{SessionID: img.p.SessionID, StreamID: img.p.StreamID, TermID: termID,
		TermOffset: termOffset, Length: length}.Encode(img.nakBuf[:])
	if img.toConnections(img.nakBuf[:n], img.nowNs) > 0 {
		img.sys.NakMessagesSent.Increment()
		img.p.NaksSent.Increment()
	}
}

func (img *Image) onRTTM(r *protocol.RTTM, di int, src netip.AddrPort, nowNs int64) {
	if r.ReceiverID != img.ep.ReceiverID && r.ReceiverID != 0 {
		return
	}
	if r.Flags&protocol.RTTMFlagReply != 0 {
		n := protocol.RTTM{SessionID: img.p.SessionID, StreamID: img.p.StreamID, EchoTimestamp: r.EchoTimestamp,
			ReceiverID: img.ep.ReceiverID}.Encode(img.rtBuf[:])
		img.ep.sendTo(di, img.rtBuf[:n], src)
		return
	}
	if rtt := nowNs - r.EchoTimestamp - r.ReceptionDelta; rtt > 0 {
		img.p.CC.OnRTTMeasurement(nowNs, rtt)
	}
}
