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
	RequestImage(e *Endpoint, setup protocol.Setup, source, control netip.AddrPort, destination int)
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
// and the dispatcher of its frames to images. A multi-destination
// subscription's endpoint (control-mode=manual) has a socket per
// destination its client added instead, all feeding the same images.
type Endpoint struct {
	Channel   *uri.UDPChannel
	sys       *counters.SystemCounters
	requester ImageRequester
	// Status is the rcv-channel counter, Local the rcv-local-sockaddr one.
	Status, Local counters.Counter
	// ReceiverID identifies this endpoint in status messages.
	ReceiverID  int64
	GroupTag    int64
	HasGroupTag bool

	// dests are the sockets, indexed by the destination number images
	// record their connections under; a removed one leaves nil.
	dests []*Destination

	streams         map[int32]*streamInterest
	rx              []backend.Message
	out             [1]backend.Message
	smBuf           [protocol.SMWithGroupTagLength]byte
	nextTimeoutScan int64
	closed          bool
}

// Destination is one socket of a receive endpoint.
type Destination struct {
	Channel   *uri.UDPChannel
	transport backend.Transport
	// control is the multicast control group, or the explicit control
	// address of a multi-destination-cast receiver (where it announces
	// itself); invalid otherwise.
	control        netip.AddrPort
	explicit       bool
	nextPeriodicNs int64
}

// NewDestination wraps an opened transport for a channel.
func NewDestination(ch *uri.UDPChannel, t backend.Transport) *Destination {
	d := &Destination{Channel: ch, transport: t}
	if ch.Multicast {
		d.control = ch.RemoteControl
	} else if ch.HasExplicitControl {
		// For a subscription the channel's control address is the
		// publisher's: where this endpoint announces itself.
		d.control, d.explicit = ch.LocalControl, true
	}
	return d
}

// LocalAddr is the bound address.
func (d *Destination) LocalAddr() netip.AddrPort { return d.transport.LocalAddr() }

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

// IsMDS says whether the endpoint is a multi-destination subscription's.
func (e *Endpoint) IsMDS() bool { return e.Channel.ControlMode == uri.ControlModeManual }

// NewEndpoint wraps an opened transport for a receive channel; a
// multi-destination subscription's endpoint starts with none (nil).
func NewEndpoint(p EndpointParams) *Endpoint {
	e := &Endpoint{
		Channel: p.Channel, sys: p.System, requester: p.Requester,
		ReceiverID: p.ReceiverID, GroupTag: p.GroupTag, HasGroupTag: p.HasGroupTag,
		streams: map[int32]*streamInterest{}, rx: make([]backend.Message, max(p.Batch, 1)),
	}
	if p.Transport != nil {
		e.dests = append(e.dests, NewDestination(p.Channel, p.Transport))
	}
	return e
}

// LocalAddr is the bound address of the endpoint's first socket, invalid
// when it has none.
func (e *Endpoint) LocalAddr() netip.AddrPort {
	for _, d := range e.dests {
		if d != nil {
			return d.LocalAddr()
		}
	}
	return netip.AddrPort{}
}

// controlFor is where status messages for a sender at src, heard on
// destination i, go.
func (e *Endpoint) controlFor(i int, src netip.AddrPort) netip.AddrPort {
	if d := e.dest(i); d != nil && d.Channel.Multicast {
		return d.control
	}
	return src
}

func (e *Endpoint) dest(i int) *Destination {
	if i < 0 || i >= len(e.dests) {
		return nil
	}
	return e.dests[i]
}

// sendTo sends one frame to addr from destination i's socket.
func (e *Endpoint) sendTo(i int, b []byte, addr netip.AddrPort) bool {
	d := e.dest(i)
	if d == nil {
		return false
	}
	e.out[0] = backend.Message{Buf: b, Addr: addr}
	n, err := d.transport.Send(e.out[:])
	e.out[0].Buf = nil
	if n == 1 && err == nil {
		e.sys.BytesSent.Add(int64(len(b)))
		return true
	}
	e.sys.ShortSends.Increment()
	return false
}

// addDestination starts reading another socket (ADD_RCV_DESTINATION). The
// images take it as a connection when it has a control address, so their
// status messages reach that publisher too.
func (e *Endpoint) addDestination(d *Destination, nowNs int64) {
	i := len(e.dests)
	e.dests = append(e.dests, d)
	if d.explicit && e.hasInterest() {
		e.sendSetupRequestVia(d, 0, 0)
		d.nextPeriodicNs = nowNs + periodicSetupNs
	}
	if d.control.IsValid() {
		for _, s := range e.streams {
			for _, img := range s.images {
				img.trackConnection(i, d.control, nowNs, false)
			}
		}
	}
}

// removeDestination closes the socket of the destination on channel
// canonical, and reports whether there was one.
func (e *Endpoint) removeDestination(canonical string) bool {
	for i, d := range e.dests {
		if d != nil && d.Channel.Canonical == canonical {
			d.transport.Close()
			e.dests[i] = nil
			for _, s := range e.streams {
				for _, img := range s.images {
					img.dropConnections(i)
				}
			}
			return true
		}
	}
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
		e.sendSetupRequest(sessionID, streamID)
	} else {
		s.all++
	}
	e.sendSetupRequest(0, 0)
	for _, d := range e.dests {
		if d != nil && d.explicit {
			d.nextPeriodicNs = nowNs + periodicSetupNs
		}
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

// sendSetupRequest sends an SM asking publishers to send SETUP from each
// destination with an explicit control address.
func (e *Endpoint) sendSetupRequest(sessionID, streamID int32) {
	for _, d := range e.dests {
		if d != nil && d.explicit {
			e.sendSetupRequestVia(d, sessionID, streamID)
		}
	}
}

func (e *Endpoint) sendSetupRequestVia(d *Destination, sessionID, streamID int32) {
	sm := protocol.StatusMessage{Flags: protocol.SMFlagSendSetup, SessionID: sessionID, StreamID: streamID,
		ReceiverID: e.ReceiverID, GroupTag: e.GroupTag, HasGroupTag: e.HasGroupTag}
	n := sm.Encode(e.smBuf[:])
	e.out[0] = backend.Message{Buf: e.smBuf[:n], Addr: d.control}
	sent, err := d.transport.Send(e.out[:])
	e.out[0].Buf = nil
	if sent == 1 && err == nil {
		e.sys.BytesSent.Add(int64(n))
		e.sys.StatusMessagesSent.Increment()
	} else {
		e.sys.ShortSends.Increment()
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

// poll reads datagrams from each socket and dispatches them.
func (e *Endpoint) poll(nowNs int64) int {
	work := 0
	for di, d := range e.dests {
		if d == nil {
			continue
		}
		n, err := d.transport.Receive(e.rx)
		if err != nil || n == 0 {
			continue
		}
		for i := range e.rx[:n] {
			m := &e.rx[i]
			e.sys.BytesReceived.Add(int64(len(m.Buf)))
			e.onDatagram(m.Buf, m.Addr, di, nowNs)
		}
		work += n
	}
	return work
}

func (e *Endpoint) onDatagram(b []byte, src netip.AddrPort, di int, nowNs int64) {
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
		e.onData(b, &hdr, src, di, nowNs)
	case protocol.TypeSetup:
		setup, err := protocol.DecodeSetup(b)
		if err != nil || !setup.Valid() {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.onSetup(&setup, src, di, nowNs)
	case protocol.TypeRTTM:
		r, err := protocol.DecodeRTTM(b)
		if err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		if s := e.streams[r.StreamID]; s != nil {
			if img := s.images[r.SessionID]; img != nil {
				img.onRTTM(&r, di, src, nowNs)
			}
		}
	default:
		// Status messages and NAKs from other receivers on a multicast
		// group, or frames not meant for a receiver: ignored.
	}
}

func (e *Endpoint) onData(b []byte, hdr *protocol.DataHeader, src netip.AddrPort, di int, nowNs int64) {
	s := e.streams[hdr.StreamID]
	if s == nil {
		return
	}
	if img := s.images[hdr.SessionID]; img != nil {
		img.insertPacket(b, hdr, di, src, nowNs)
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
	if e.sendTo(di, e.smBuf[:n], e.controlFor(di, src)) {
		e.sys.StatusMessagesSent.Increment()
	}
	s.states[hdr.SessionID] = session{state: sessionPendingSetup, deadlineNs: nowNs + pendingSetupTimeoutNs}
}

func (e *Endpoint) onSetup(setup *protocol.Setup, src netip.AddrPort, di int, nowNs int64) {
	s := e.streams[setup.StreamID]
	if s == nil {
		return
	}
	if img := s.images[setup.SessionID]; img != nil {
		img.trackConnection(di, src, nowNs, false)
		return
	}
	if !s.interested(setup.SessionID) {
		return
	}
	switch s.states[setup.SessionID].state {
	case sessionInitInProgress, sessionCoolDown:
		return
	}
	if d := e.dest(di); d != nil && d.Channel.Multicast && d.Channel.MulticastTTL > 0 && int(setup.TTL) > d.Channel.MulticastTTL {
		e.sys.PossibleTTLAsymmetry.Increment()
	}
	s.states[setup.SessionID] = session{state: sessionInitInProgress}
	e.requester.RequestImage(e, *setup, src, e.controlFor(di, src), di)
}

// onTimers expires pending setups and sends the periodic announcement of
// an endpoint with an explicit control address.
func (e *Endpoint) onTimers(nowNs int64) {
	if e.hasInterest() {
		for _, d := range e.dests {
			if d != nil && d.explicit && nowNs >= d.nextPeriodicNs {
				e.sendSetupRequestVia(d, 0, 0)
				d.nextPeriodicNs = nowNs + periodicSetupNs
			}
		}
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
		for i, d := range e.dests {
			if d != nil {
				d.transport.Close()
				e.dests[i] = nil
			}
		}
	}
}
