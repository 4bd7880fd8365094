package receiver

import (
	"net/netip"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

const (
	// pendingSetupTimeoutNs lets a session elicit another SETUP when the
	// first went unanswered (Aeron's receiver pending-setup timeout).
	pendingSetupTimeoutNs = int64(1e9)
	// periodicSetupNs is how often an endpoint with an explicit control
	// address announces itself to the publisher.
	periodicSetupNs = int64(1e9)
)

// ImageRequester is how the receiver asks the conductor for an image when
// a SETUP arrives for a stream it has interest in.
type ImageRequester interface {
	RequestImage(e *Endpoint, setup protocol.Setup, source, control netip.AddrPort)
}

type sessionState uint8

const (
	sessionNone sessionState = iota
	sessionPendingSetup
	sessionInitInProgress
	sessionCoolDown
)

type session struct {
	state      sessionState
	deadlineNs int64
}

// streamInterest is the data-packet dispatcher's record of one stream.
type streamInterest struct {
	all      int           // subscriptions to every session
	sessions map[int32]int // subscriptions to one session
	states   map[int32]session
	images   map[int32]*Image
}

func (s *streamInterest) interested(sessionID int32) bool {
	return s.all > 0 || s.sessions[sessionID] > 0
}

// Endpoint is a receive channel endpoint: one local socket (or multicast
// membership) shared by every subscription on the same canonical channel,
// and the dispatcher of its frames to images.
type Endpoint struct {
	Channel   *uri.UDPChannel
	transport backend.Transport
	sys       *counters.SystemCounters
	requester ImageRequester
	// Status is the rcv-channel counter, Local the rcv-local-sockaddr one.
	Status, Local counters.Counter
	// ReceiverID identifies this endpoint in status messages.
	ReceiverID  int64
	GroupTag    int64
	HasGroupTag bool

	// control is the multicast control group, or the explicit control
	// address of a multi-destination subscription; invalid otherwise.
	control  netip.AddrPort
	explicit bool

	streams         map[int32]*streamInterest
	rx              []backend.Message
	out             [1]backend.Message
	smBuf           [protocol.SMWithGroupTagLength]byte
	nextPeriodicNs  int64
	nextTimeoutScan int64
	closed          bool
}

// EndpointParams configure a receive endpoint.
type EndpointParams struct {
	Channel     *uri.UDPChannel
	Transport   backend.Transport
	System      *counters.SystemCounters
	Requester   ImageRequester
	ReceiverID  int64
	GroupTag    int64
	HasGroupTag bool
	Batch       int
}

// NewEndpoint wraps an opened transport for a receive channel.
func NewEndpoint(p EndpointParams) *Endpoint {
	e := &Endpoint{
		Channel: p.Channel, transport: p.Transport, sys: p.System, requester: p.Requester,
		ReceiverID: p.ReceiverID, GroupTag: p.GroupTag, HasGroupTag: p.HasGroupTag,
		streams: map[int32]*streamInterest{}, rx: make([]backend.Message, max(p.Batch, 1)),
	}
	if p.Channel.Multicast {
		e.control = p.Channel.RemoteControl
	} else if p.Channel.HasExplicitControl {
		// For a subscription the channel's control address is the
		// publisher's: where this endpoint announces itself.
		e.control, e.explicit = p.Channel.LocalControl, true
	}
	return e
}

// LocalAddr is the bound address.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.transport.LocalAddr() }

// controlFor is where status messages for a sender at src go.
func (e *Endpoint) controlFor(src netip.AddrPort) netip.AddrPort {
	if e.Channel.Multicast {
		return e.control
	}
	return src
}

func (e *Endpoint) sendTo(b []byte, addr netip.AddrPort) bool {
	e.out[0] = backend.Message{Buf: b, Addr: addr}
	n, err := e.transport.Send(e.out[:])
	e.out[0].Buf = nil
	if n == 1 && err == nil {
		e.sys.BytesSent.Add(int64(len(b)))
		return true
	}
	e.sys.ShortSends.Increment()
	return false
}

func (e *Endpoint) addSubscription(streamID, sessionID int32, hasSession bool, nowNs int64) {
	s := e.streams[streamID]
	if s == nil {
		s = &streamInterest{sessions: map[int32]int{}, states: map[int32]session{}, images: map[int32]*Image{}}
		e.streams[streamID] = s
	}
	if hasSession {
		s.sessions[sessionID]++
		if e.explicit {
			e.sendSetupRequest(sessionID, streamID)
		}
	} else {
		s.all++
	}
	if e.explicit {
		e.sendSetupRequest(0, 0)
		e.nextPeriodicNs = nowNs + periodicSetupNs
	}
}

func (e *Endpoint) removeSubscription(streamID, sessionID int32, hasSession bool) {
	s := e.streams[streamID]
	if s == nil {
		return
	}
	if hasSession {
		if s.sessions[sessionID]--; s.sessions[sessionID] <= 0 {
			delete(s.sessions, sessionID)
		}
	} else if s.all > 0 {
		s.all--
	}
	if s.all == 0 && len(s.sessions) == 0 && len(s.images) == 0 {
		delete(e.streams, streamID)
	}
}

func (e *Endpoint) hasInterest() bool { return len(e.streams) > 0 }

// sendSetupRequest sends an SM asking publishers to send SETUP.
func (e *Endpoint) sendSetupRequest(sessionID, streamID int32) {
	sm := protocol.StatusMessage{Flags: protocol.SMFlagSendSetup, SessionID: sessionID, StreamID: streamID,
		ReceiverID: e.ReceiverID, GroupTag: e.GroupTag, HasGroupTag: e.HasGroupTag}
	n := sm.Encode(e.smBuf[:])
	if e.sendTo(e.smBuf[:n], e.control) {
		e.sys.StatusMessagesSent.Increment()
	}
}

func (e *Endpoint) addImage(img *Image) {
	s := e.streams[img.p.StreamID]
	if s == nil {
		s = &streamInterest{sessions: map[int32]int{}, states: map[int32]session{}, images: map[int32]*Image{}}
		e.streams[img.p.StreamID] = s
	}
	s.images[img.p.SessionID] = img
	delete(s.states, img.p.SessionID)
}

func (e *Endpoint) removeImage(img *Image, coolDown bool, nowNs int64) {
	s := e.streams[img.p.StreamID]
	if s == nil {
		return
	}
	if s.images[img.p.SessionID] == img {
		delete(s.images, img.p.SessionID)
	}
	if coolDown {
		s.states[img.p.SessionID] = session{state: sessionCoolDown}
	} else {
		delete(s.states, img.p.SessionID)
	}
	if s.all == 0 && len(s.sessions) == 0 && len(s.images) == 0 {
		delete(e.streams, img.p.StreamID)
	}
}

// imageRefused clears an INIT_IN_PROGRESS state after the conductor could
// not create an image, so a later SETUP tries again.
func (e *Endpoint) imageRefused(sessionID, streamID int32) {
	if s := e.streams[streamID]; s != nil {
		delete(s.states, sessionID)
	}
}

// poll reads datagrams and dispatches them.
func (e *Endpoint) poll(nowNs int64) int {
	n, err := e.transport.Receive(e.rx)
	if err != nil || n == 0 {
		return 0
	}
	for i := range e.rx[:n] {
		m := &e.rx[i]
		e.sys.BytesReceived.Add(int64(len(m.Buf)))
		e.onDatagram(m.Buf, m.Addr, nowNs)
	}
	return n
}

func (e *Endpoint) onDatagram(b []byte, src netip.AddrPort, nowNs int64) {
	typ, err := protocol.Validate(b)
	if err != nil {
		e.sys.InvalidPackets.Increment()
		return
	}
	switch typ {
	case protocol.TypeData, protocol.TypePad:
		hdr, err := protocol.DecodeDataHeader(b)
		if err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.onData(b, &hdr, src, nowNs)
	case protocol.TypeSetup:
		setup, err := protocol.DecodeSetup(b)
		if err != nil || !setup.Valid() {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.onSetup(&setup, src, nowNs)
	case protocol.TypeRTTM:
		r, err := protocol.DecodeRTTM(b)
		if err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		if s := e.streams[r.StreamID]; s != nil {
			if img := s.images[r.SessionID]; img != nil {
				img.onRTTM(&r, src, nowNs)
			}
		}
	default:
		// Status messages and NAKs from other receivers on a multicast
		// group, or frames not meant for a receiver: ignored.
	}
}

func (e *Endpoint) onData(b []byte, hdr *protocol.DataHeader, src netip.AddrPort, nowNs int64) {
	s := e.streams[hdr.StreamID]
	if s == nil {
		return
	}
	if img := s.images[hdr.SessionID]; img != nil {
		img.insertPacket(b, hdr, src, nowNs)
		return
	}
	if !s.interested(hdr.SessionID) || hdr.Flags&protocol.FlagEOS != 0 {
		return
	}
	if st := s.states[hdr.SessionID]; st.state != sessionNone {
		return
	}
	// Data for a stream we want but have no image of: ask for SETUP.
	sm := protocol.StatusMessage{Flags: protocol.SMFlagSendSetup, SessionID: hdr.SessionID, StreamID: hdr.StreamID,
		ReceiverID: e.ReceiverID, GroupTag: e.GroupTag, HasGroupTag: e.HasGroupTag}
	n := sm.Encode(e.smBuf[:])
	if e.sendTo(e.smBuf[:n], e.controlFor(src)) {
		e.sys.StatusMessagesSent.Increment()
	}
	s.states[hdr.SessionID] = session{state: sessionPendingSetup, deadlineNs: nowNs + pendingSetupTimeoutNs}
}

func (e *Endpoint) onSetup(setup *protocol.Setup, src netip.AddrPort, nowNs int64) {
	s := e.streams[setup.StreamID]
	if s == nil {
		return
	}
	if img := s.images[setup.SessionID]; img != nil {
		img.addConnection(e.controlFor(src), nowNs)
		return
	}
	if !s.interested(setup.SessionID) {
		return
	}
	switch s.states[setup.SessionID].state {
	case sessionInitInProgress, sessionCoolDown:
		return
	}
	if e.Channel.Multicast && e.Channel.MulticastTTL > 0 && int(setup.TTL) > e.Channel.MulticastTTL {
		e.sys.PossibleTTLAsymmetry.Increment()
	}
	s.states[setup.SessionID] = session{state: sessionInitInProgress}
	e.requester.RequestImage(e, *setup, src, e.controlFor(src))
}

// onTimers expires pending setups and sends the periodic announcement of
// an endpoint with an explicit control address.
func (e *Endpoint) onTimers(nowNs int64) {
	if e.explicit && e.hasInterest() && nowNs >= e.nextPeriodicNs {
		e.sendSetupRequest(0, 0)
		e.nextPeriodicNs = nowNs + periodicSetupNs
	}
	if nowNs < e.nextTimeoutScan {
		return
	}
	e.nextTimeoutScan = nowNs + pendingSetupTimeoutNs/10
	for _, s := range e.streams {
		for id, st := range s.states {
			if st.state == sessionPendingSetup && nowNs >= st.deadlineNs {
				delete(s.states, id)
			}
		}
	}
}

func (e *Endpoint) close() {
	if !e.closed {
		e.closed = true
		e.transport.Close()
	}
}
