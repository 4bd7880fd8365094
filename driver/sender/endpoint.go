package sender

import (
	"net/netip"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/agent"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// destinationTimeoutNs drops a dynamic multi-destination receiver that has
// sent no status message for this long (Aeron's destination tracker).
const destinationTimeoutNs = int64(5e9)

// destination is one receiver of a multi-destination-cast endpoint.
type destination struct {
	addr           netip.AddrPort
	registrationID int64
	lastSeenNs     int64
	manual         bool
}

// Endpoint is a send channel endpoint: one local socket, shared by every
// publication on the same canonical channel. Data goes to the channel's
// endpoint (unicast), its group (multicast) or each destination
// (multi-destination-cast); status messages, NAKs and RTT measurements come
// back on the same socket.
type Endpoint struct {
	Channel   *uri.UDPChannel
	transport backend.Transport
	sys       *counters.SystemCounters
	// Status is the snd-channel counter, Local the snd-local-sockaddr one.
	Status, Local counters.Counter

	mdc     bool
	dynamic bool
	single  netip.AddrPort
	dests   []destination

	// Sender-thread state. Decoded frames live in the endpoint: handed by
	// pointer to flow control's interface, a local would escape and
	// allocate on every frame.
	sm     protocol.StatusMessage
	nak    protocol.Nak
	rttm   protocol.RTTM
	ef     protocol.ErrorFrame
	pubs   map[uint64]*Publication
	rx     []backend.Message
	closed bool
	// errors, when set, receives ERR frames for the conductor.
	errors *agent.Queue[PublicationError]
}

// NewEndpoint wraps an opened transport for a send channel.
func NewEndpoint(ch *uri.UDPChannel, t backend.Transport, sys *counters.SystemCounters, batch int) *Endpoint {
	e := &Endpoint{
		Channel: ch, transport: t, sys: sys,
		pubs: map[uint64]*Publication{},
		rx:   make([]backend.Message, max(batch, 1)),
	}
	switch ch.ControlMode {
	case uri.ControlModeDynamic, uri.ControlModeManual:
		e.mdc = true
		e.dynamic = ch.ControlMode == uri.ControlModeDynamic
	default:
		e.single = ch.RemoteData
	}
	return e
}

// LocalAddr is the bound address of the endpoint's socket.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.transport.LocalAddr() }

// IsMDC says whether the endpoint sends to a set of destinations.
func (e *Endpoint) IsMDC() bool { return e.mdc }

func key(sessionID, streamID int32) uint64 {
	return uint64(uint32(sessionID))<<32 | uint64(uint32(streamID))
}

// send transmits a batch to the endpoint's destination(s) and returns how
// many of msgs were accepted. Multi-destination sends are best effort per
// destination: a receiver that misses data NAKs for it.
func (e *Endpoint) send(msgs []backend.Message) int {
	if len(msgs) == 0 {
		return 0
	}
	if !e.mdc {
		for i := range msgs {
			msgs[i].Addr = e.single
		}
		return e.transmit(msgs)
	}
	for _, d := range e.dests {
		for i := range msgs {
			msgs[i].Addr = d.addr
		}
		e.transmit(msgs)
	}
	return len(msgs)
}

func (e *Endpoint) transmit(msgs []backend.Message) int {
	sent := 0
	for sent < len(msgs) {
		n, err := e.transport.Send(msgs[sent:])
		for _, m := range msgs[sent : sent+n] {
			e.sys.BytesSent.Add(int64(len(m.Buf)))
		}
		sent += n
		if err != nil || n == 0 {
			e.sys.ShortSends.Increment()
			break
		}
	}
	return sent
}

// sendTo sends one datagram to addr (replies to a particular receiver).
func (e *Endpoint) sendTo(buf []byte, addr netip.AddrPort) {
	var m [1]backend.Message
	m[0] = backend.Message{Buf: buf, Addr: addr}
	if n, err := e.transport.Send(m[:]); n == 1 && err == nil {
		e.sys.BytesSent.Add(int64(len(buf)))
	} else {
		e.sys.ShortSends.Increment()
	}
}

// hasDestinations says whether anything would receive a send.
func (e *Endpoint) hasDestinations() bool { return !e.mdc || len(e.dests) > 0 }

// addDestination adds a manual destination.
func (e *Endpoint) addDestination(addr netip.AddrPort, registrationID int64) {
	for i := range e.dests {
		if e.dests[i].addr == addr {
			e.dests[i].manual, e.dests[i].registrationID = true, registrationID
			return
		}
	}
	e.dests = append(e.dests, destination{addr: addr, registrationID: registrationID, manual: true})
}

// removeDestination removes a manual destination by address or, when addr
// is invalid, by the registration id of the command that added it.
func (e *Endpoint) removeDestination(addr netip.AddrPort, registrationID int64) {
	for i := range e.dests {
		d := e.dests[i]
		if (addr.IsValid() && d.addr == addr) || (!addr.IsValid() && d.registrationID == registrationID) {
			e.dests = append(e.dests[:i], e.dests[i+1:]...)
			return
		}
	}
}

// onReceiverSeen refreshes (or adds, in dynamic mode) a destination from a
// status message's source.
func (e *Endpoint) onReceiverSeen(src netip.AddrPort, nowNs int64) {
	if !e.dynamic {
		return
	}
	for i := range e.dests {
		if e.dests[i].addr == src {
			e.dests[i].lastSeenNs = nowNs
			return
		}
	}
	e.dests = append(e.dests, destination{addr: src, lastSeenNs: nowNs})
}

func (e *Endpoint) expireDestinations(nowNs int64) {
	if !e.dynamic {
		return
	}
	for i := 0; i < len(e.dests); {
		if !e.dests[i].manual && nowNs-e.dests[i].lastSeenNs > destinationTimeoutNs {
			e.dests = append(e.dests[:i], e.dests[i+1:]...)
			continue
		}
		i++
	}
}

// poll reads control frames and hands them to their publications.
func (e *Endpoint) poll(nowNs int64) int {
	n, err := e.transport.Receive(e.rx)
	if err != nil || n == 0 {
		return 0
	}
	for i := range e.rx[:n] {
		m := &e.rx[i]
		e.sys.BytesReceived.Add(int64(len(m.Buf)))
		e.onFrame(m.Buf, m.Addr, nowNs)
	}
	return n
}

func (e *Endpoint) onFrame(b []byte, src netip.AddrPort, nowNs int64) {
	typ, err := protocol.Validate(b)
	if err != nil {
		e.sys.InvalidPackets.Increment()
		return
	}
	switch typ {
	case protocol.TypeSM:
		var err error
		if e.sm, err = protocol.DecodeStatusMessage(b); err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.sys.StatusMessagesReceived.Increment()
		e.onReceiverSeen(src, nowNs)
		// A receiver announcing itself with session 0 and stream 0 (a
		// multi-destination subscriber) only registers as a destination:
		// triggering every publication's SETUP would hold min flow
		// control's limit each time it repeats. Its first DATA elicits a
		// SETUP for the stream it wants.
		if p := e.pubs[key(e.sm.SessionID, e.sm.StreamID)]; p != nil {
			p.onStatusMessage(&e.sm, src, nowNs)
		}
	case protocol.TypeNak:
		var err error
		if e.nak, err = protocol.DecodeNak(b); err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.sys.NakMessagesReceived.Increment()
		if p := e.pubs[key(e.nak.SessionID, e.nak.StreamID)]; p != nil {
			p.onNak(&e.nak, nowNs)
		}
	case protocol.TypeRTTM:
		var err error
		if e.rttm, err = protocol.DecodeRTTM(b); err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		if p := e.pubs[key(e.rttm.SessionID, e.rttm.StreamID)]; p != nil {
			p.onRTTM(&e.rttm, src)
		}
	case protocol.TypeErr:
		var err error
		if e.ef, err = protocol.DecodeError(b); err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		e.sys.ErrorFramesReceived.Increment()
		if p := e.pubs[key(e.ef.SessionID, e.ef.StreamID)]; p != nil {
			p.onError(&e.ef, src, nowNs)
		}
	case protocol.TypeResponseSetup:
		rs, err := protocol.DecodeResponseSetup(b)
		if err != nil {
			e.sys.InvalidPackets.Increment()
			return
		}
		if p := e.pubs[key(rs.SessionID, rs.StreamID)]; p != nil {
			p.onResponseSetup(rs.ResponseSessionID)
		}
	default:
		// Data or setup frames sent to a publication's socket are not for us.
	}
}

// close releases the socket; called on the sender thread.
func (e *Endpoint) close() {
	if !e.closed {
		e.closed = true
		e.transport.Close()
	}
}
