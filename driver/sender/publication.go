package sender

import (
	"net/netip"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/flowcontrol"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/retransmit"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// Timing and batching of a network publication (Aeron's defaults in
// aeron_network_publication.h and the driver context).
type Timing struct {
	SetupTimeoutNs      int64 // SETUP resend interval before the first SM (100 ms)
	HeartbeatTimeoutNs  int64 // idle heartbeat interval (100 ms)
	ConnectionTimeoutNs int64 // receivers silent this long are gone (5 s)
	MaxMessagesPerSend  int   // datagrams per send call (Aeron: 4, up to 16)
}

// DefaultTiming is Aeron's.
var DefaultTiming = Timing{SetupTimeoutNs: 100e6, HeartbeatTimeoutNs: 100e6, ConnectionTimeoutNs: 5e9, MaxMessagesPerSend: 16}

// Params describe a network publication to the sender. The conductor
// creates the log and counters; the sender reads the log and writes snd-pos
// and snd-lmt.
type Params struct {
	RegistrationID int64
	SessionID      int32
	StreamID       int32
	InitialTermID  int32
	TermLength     int
	MTU            int
	TTL            int
	Group          bool // multicast or multi-destination: SETUP carries the group flag
	SignalEOS      bool
	// SpiesSimulateConnection (ssc): with spies and no receivers the
	// stream counts as connected and the sender keeps up with the spies.
	SpiesSimulateConnection bool
	// RequestsResponse marks a request publication (one with a
	// response-correlation-id naming the client's response
	// subscription): its SETUP asks the server for a response setup.
	RequestsResponse bool
	// IsResponse marks a response publication (control-mode=response):
	// it sends nothing until a status message asking for SETUP names
	// its receiver, then sends there.
	IsResponse     bool
	StartPosition  int64
	Log            *logbuffer.LogBuffers
	Endpoint       *Endpoint
	SndPos, SndLmt counters.Counter
	SndBPE         counters.Counter
	NaksReceived   counters.Counter
	FlowControl    flowcontrol.Strategy
	Retransmit     retransmit.Options
	System         *counters.SystemCounters
	Timing         Timing
}

// Publication is a network publication's sending side. Fields without
// atomics belong to the sender thread.
type Publication struct {
	p      Params
	terms  [logbuffer.PartitionCount]shm.AtomicBuffer
	meta   shm.AtomicBuffer
	bits   uint
	mask   int64
	fc     flowcontrol.Strategy
	resend *retransmit.Handler
	sys    *counters.SystemCounters
	ep     *Endpoint

	position                  int64
	limit                     int64
	timeOfLastSetupNs         int64
	timeOfLastDataOrHeartbeat int64
	timeOfLastSMNs            int64
	hasInitialConnection      bool
	isSetupElicited           bool
	hasReceiversLocal         bool
	limited                   bool

	msgs    []backend.Message
	setup   [protocol.SetupLength]byte
	hb      [protocol.DataHeaderLength]byte
	rttm    [protocol.RTTMLength]byte
	resendM [1]backend.Message

	// Shared with the conductor.
	connected   atomic.Bool  // a receiver (and flow control's required set) is live
	endOfStream atomic.Bool  // the conductor drained the log: heartbeats carry EOS
	eosSMSeen   atomic.Bool  // a unicast receiver said it has all (SM with EOS)
	released    atomic.Bool  // the sender no longer touches the log or counters
	spyPosition atomic.Int64 // the furthest spy's position, -1 with none (set by the conductor)
	// responseSetup holds a response session id a server announced
	// (1<<32 | uint32(id)), 0 when none is waiting for the conductor.
	responseSetup atomic.Int64

	// respAddr is where a response publication sends (sender thread).
	respAddr netip.AddrPort
}

type overflowCounter struct{ c counters.Counter }

func (o overflowCounter) RetransmitOverflow() { o.c.Increment() }

// NewPublication prepares a publication for the sender.
func NewPublication(p Params) *Publication {
	if p.Timing.MaxMessagesPerSend == 0 {
		p.Timing = DefaultTiming
	}
	pub := &Publication{
		p: p, meta: p.Log.Meta(), bits: logbuffer.PositionBitsToShift(p.TermLength),
		mask: int64(p.TermLength - 1), fc: p.FlowControl, sys: p.System, ep: p.Endpoint,
		resend:   retransmit.New(p.Retransmit, overflowCounter{p.System.RetransmitOverflow}),
		position: p.StartPosition, limit: p.StartPosition,
		msgs: make([]backend.Message, p.Timing.MaxMessagesPerSend),
	}
	for i := range pub.terms {
		pub.terms[i] = p.Log.Term(i)
	}
	// The first SETUP goes out at once.
	pub.timeOfLastSetupNs = -p.Timing.SetupTimeoutNs - 1
	pub.spyPosition.Store(-1)
	return pub
}

// RegistrationID is the publication's registration (correlation) id.
func (p *Publication) RegistrationID() int64 { return p.p.RegistrationID }

// IsConnected says whether live receivers were heard within the connection
// timeout (and flow control has the receivers it requires).
func (p *Publication) IsConnected() bool { return p.connected.Load() }

// SetEndOfStream marks the log drained: heartbeats now carry EOS.
func (p *Publication) SetEndOfStream() { p.endOfStream.Store(true) }

// EndOfStreamAcknowledged says a unicast receiver confirmed the end of the
// stream, which ends the publication's linger early.
func (p *Publication) EndOfStreamAcknowledged() bool { return p.eosSMSeen.Load() }

// Released says the sender has let go of the publication.
func (p *Publication) Released() bool { return p.released.Load() }

// TakeResponseSetup returns the response session id a server announced
// for this request publication since the last call, if any.
func (p *Publication) TakeResponseSetup() (int32, bool) {
	if p.responseSetup.Load() == 0 {
		// The usual case: no write on every conductor cycle.
		return 0, false
	}
	v := p.responseSetup.Swap(0)
	return int32(uint32(v)), v != 0
}

// transmit sends a batch where the publication's data goes: the
// endpoint's destinations, or a response publication's one receiver.
func (p *Publication) transmit(msgs []backend.Message) int {
	if !p.p.IsResponse {
		return p.ep.send(msgs)
	}
	if !p.respAddr.IsValid() {
		return 0
	}
	for i := range msgs {
		msgs[i].Addr = p.respAddr
	}
	return p.ep.transmit(msgs)
}

// hasDestinations says whether anything would receive a send.
func (p *Publication) hasDestinations() bool {
	if p.p.IsResponse {
		return p.respAddr.IsValid()
	}
	return p.ep.hasDestinations()
}

// SetSpyPosition tells the sender how far the furthest spy has read, or -1
// when there are no spies.
func (p *Publication) SetSpyPosition(pos int64) { p.spyPosition.Store(pos) }

// send runs one duty cycle for the publication and returns bytes sent.
func (p *Publication) send(nowNs int64) int {
	termID := logbuffer.TermIDFromPosition(p.position, p.bits, p.p.InitialTermID)
	termOffset := int32(p.position & p.mask)
	if !p.hasInitialConnection || p.isSetupElicited {
		p.setupCheck(nowNs, termID, termOffset)
	}
	sent := p.sendData(nowNs)
	if sent == 0 {
		sent = p.heartbeatCheck(nowNs, termID, termOffset)
		if spy := p.spyPosition.Load(); p.p.SpiesSimulateConnection && spy >= 0 && !p.hasReceiversLocal {
			// Spies stand in for receivers: what they have read
			// counts as sent, so the publisher is not held back
			// by a sender with nobody to send to.
			if spy > p.position {
				p.position = spy
				p.p.SndPos.Set(spy)
			}
			p.setLimit(p.fc.OnIdle(nowNs, p.position, p.position, p.endOfStream.Load()))
		} else {
			p.setLimit(p.fc.OnIdle(nowNs, p.limit, p.position, p.endOfStream.Load()))
		}
		p.updateConnected(nowNs)
	}
	p.resend.ProcessTimeouts(nowNs, p)
	return sent
}

func (p *Publication) setLimit(v int64) {
	if v != p.limit {
		p.limit = v
		p.p.SndLmt.Set(v)
	}
}

func (p *Publication) setupCheck(nowNs int64, termID, termOffset int32) {
	if nowNs-p.timeOfLastSetupNs <= p.p.Timing.SetupTimeoutNs || !p.hasDestinations() {
		return
	}
	var flags uint8
	if p.p.Group {
		flags |= protocol.SetupFlagGroup
	}
	if p.p.RequestsResponse {
		flags |= protocol.SetupFlagSendResponse
	}
	n := protocol.Setup{Flags: flags, TermOffset: termOffset, SessionID: p.p.SessionID, StreamID: p.p.StreamID,
		InitialTermID: p.p.InitialTermID, ActiveTermID: termID, TermLength: int32(p.p.TermLength),
		MTU: int32(p.p.MTU), TTL: int32(p.p.TTL)}.Encode(p.setup[:])
	p.msgs[0] = backend.Message{Buf: p.setup[:n]}
	p.transmit(p.msgs[:1])
	p.timeOfLastSetupNs, p.timeOfLastDataOrHeartbeat = nowNs, nowNs
	p.setLimit(p.fc.OnSetup(p.limit, p.position, nowNs))
	if p.hasReceiversLocal {
		p.isSetupElicited = false
	}
}

func (p *Publication) heartbeatCheck(nowNs int64, termID, termOffset int32) int {
	if !p.hasInitialConnection || nowNs-p.timeOfLastDataOrHeartbeat <= p.p.Timing.HeartbeatTimeoutNs {
		return 0
	}
	flags := protocol.FlagsUnfragmented
	if p.endOfStream.Load() && p.p.SignalEOS {
		flags |= protocol.FlagEOS
	}
	n := protocol.DataHeader{Flags: flags, Type: protocol.TypeData, TermOffset: termOffset,
		SessionID: p.p.SessionID, StreamID: p.p.StreamID, TermID: termID}.Encode(p.hb[:])
	p.msgs[0] = backend.Message{Buf: p.hb[:n]}
	p.transmit(p.msgs[:1])
	p.sys.HeartbeatsSent.Increment()
	p.timeOfLastDataOrHeartbeat = nowNs
	return n
}

// sendData sends what the log holds between snd-pos and snd-lmt, in
// MTU-sized datagrams, one batch per cycle.
func (p *Publication) sendData(nowNs int64) int {
	window := p.limit - p.position
	if window <= 0 || !p.hasDestinations() {
		p.trackLimited(window <= 0)
		return 0
	}
	pos := p.position
	count := 0
	// advance[i] is how far datagram i moves the position (with padding).
	var advance [16]int64
	for count < len(p.msgs) && count < len(advance) && window > 0 {
		index := logbuffer.IndexByPosition(pos, p.bits)
		offset := int(pos & p.mask)
		term := p.terms[index]
		outcome := logbuffer.ScanForAvailability(term, offset, int(min(window, int64(p.p.MTU))))
		available := logbuffer.ScanAvailable(outcome)
		if available <= 0 {
			break
		}
		padding := logbuffer.ScanPadding(outcome)
		p.msgs[count] = backend.Message{Buf: term.Bytes()[offset : offset+available]}
		advance[count] = int64(available + padding)
		pos += advance[count]
		window -= advance[count]
		count++
	}
	if count == 0 {
		return 0
	}
	n := p.transmit(p.msgs[:count])
	bytes := 0
	for i := 0; i < n; i++ {
		p.position += advance[i]
		bytes += len(p.msgs[i].Buf)
	}
	for i := range p.msgs[:count] {
		p.msgs[i].Buf = nil
	}
	if n > 0 {
		p.p.SndPos.Set(p.position)
		p.timeOfLastDataOrHeartbeat = nowNs
	}
	p.trackLimited(p.position >= p.limit)
	return bytes
}

// trackLimited counts each time flow control stops the sender with data
// waiting (snd-bpe and the "Sender flow control limits" counter).
func (p *Publication) trackLimited(atLimit bool) {
	if !atLimit {
		p.limited = false
		return
	}
	if p.limited || logbuffer.ProducerPosition(p.meta) <= p.position {
		return
	}
	p.limited = true
	p.p.SndBPE.Increment()
	p.sys.SenderFlowControlLimits.Increment()
}

func (p *Publication) updateConnected(nowNs int64) {
	if p.hasReceiversLocal && nowNs-p.timeOfLastSMNs > p.p.Timing.ConnectionTimeoutNs {
		p.hasReceiversLocal = false
	}
	p.connected.Store(p.hasReceiversLocal && p.fc.HasRequiredReceivers())
}

func (p *Publication) onStatusMessage(sm *protocol.StatusMessage, src netip.AddrPort, nowNs int64) {
	if sm.Flags&protocol.SMFlagSendSetup != 0 {
		if !p.endOfStream.Load() {
			if p.p.IsResponse {
				// The client's response subscription asking for
				// SETUP is the only way to learn where it is.
				p.respAddr = src
			}
			p.isSetupElicited = true
			p.fc.OnTriggerSendSetup(sm, nowNs)
		}
		return
	}
	p.hasReceiversLocal = true
	p.hasInitialConnection = true
	p.timeOfLastSMNs = nowNs
	p.setLimit(p.fc.OnStatusMessage(sm, p.limit, p.p.InitialTermID, p.bits, nowNs))
	if sm.Flags&protocol.SMFlagEOS != 0 && !p.p.Group {
		p.eosSMSeen.Store(true)
	}
	p.connected.Store(p.fc.HasRequiredReceivers())
}

func (p *Publication) onNak(nak *protocol.Nak, nowNs int64) {
	p.p.NaksReceived.Increment()
	if !nak.Valid(int32(p.p.TermLength)) {
		return
	}
	maxLen := p.fc.MaxRetransmissionLength(int(nak.TermOffset), int(nak.Length), p.p.TermLength, p.p.MTU)
	p.resend.OnNak(nak.TermID, nak.TermOffset, nak.Length, p.p.TermLength, maxLen, nowNs, p)
}

// Resend implements retransmit.Sender: it re-sends a NAKed range still
// held in the log.
func (p *Publication) Resend(termID, termOffset, length int32) {
	resendPos := logbuffer.ComputePosition(termID, termOffset, p.bits, p.p.InitialTermID)
	bottom := p.position - int64(p.p.TermLength/2) - int64(logbuffer.MaxMessageLength(p.p.TermLength))
	if resendPos >= p.position || resendPos < bottom {
		return
	}
	term := p.terms[logbuffer.IndexByPosition(resendPos, p.bits)]
	offset, remaining := int(termOffset), int(length)
	for remaining > 0 && offset < p.p.TermLength {
		outcome := logbuffer.ScanForAvailability(term, offset, min(p.p.MTU, remaining))
		available := logbuffer.ScanAvailable(outcome)
		if available <= 0 {
			break
		}
		p.resendM[0] = backend.Message{Buf: term.Bytes()[offset : offset+available]}
		p.transmit(p.resendM[:])
		p.resendM[0].Buf = nil
		p.sys.RetransmitsSent.Increment()
		p.sys.RetransmittedBytes.Add(int64(available))
		step := available + logbuffer.ScanPadding(outcome)
		offset += step
		remaining -= step
	}
}

func (p *Publication) onRTTM(r *protocol.RTTM, src netip.AddrPort) {
	if r.Flags&protocol.RTTMFlagReply == 0 {
		return
	}
	n := protocol.RTTM{SessionID: p.p.SessionID, StreamID: p.p.StreamID, EchoTimestamp: r.EchoTimestamp,
		ReceiverID: r.ReceiverID}.Encode(p.rttm[:])
	p.ep.sendTo(p.rttm[:n], src)
}

// onResponseSetup records a server's response session for the conductor.
func (p *Publication) onResponseSetup(responseSessionID int32) {
	if !p.p.RequestsResponse {
		return
	}
	p.responseSetup.Store(1<<32 | int64(uint32(responseSessionID)))
}

func (p *Publication) onError(e *protocol.ErrorFrame, src netip.AddrPort, nowNs int64) {
	p.fc.OnError(e, nowNs)
	if p.ep.errors == nil {
		return
	}
	tag := int64(-1)
	if e.Flags&protocol.ErrFlagHasGroupTag != 0 {
		tag = e.GroupTag
	}
	// Rare, and the conductor needs its own copy of the text.
	p.ep.errors.Offer(PublicationError{RegistrationID: p.p.RegistrationID, SessionID: p.p.SessionID, StreamID: p.p.StreamID,
		ReceiverID: e.ReceiverID, GroupTag: tag, Source: src, Code: e.ErrorCode, Message: string(e.Text)})
}
