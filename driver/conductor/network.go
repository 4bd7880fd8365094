package conductor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/flowcontrol"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/retransmit"
	"github.com/aeron-bypass/aeron-bypass/driver/sender"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// Channel status counter values (aeron_counters_manager.h).
const (
	channelActive  = 1
	channelClosing = 2
)

// sendEndpoint is the conductor's record of a send channel endpoint.
type sendEndpoint struct {
	canonical string
	ep        *sender.Endpoint
	refs      int
}

// networkPublication is the conductor's side of an aeron:udp publication:
// its log, counters and lifecycle. The sender owns the wire state.
type networkPublication struct {
	registrationID int64
	sessionID      int32
	streamID       int32
	channel        string
	exclusive      bool
	params         pubParams
	endpoint       *sendEndpoint
	sp             *sender.Publication

	log                          *logbuffer.LogBuffers
	logPath                      string
	pubPos, pubLmt               counters.Counter
	sndPos, sndLmt, sndBPE, naks counters.Counter
	bits                         uint
	termWindow                   int64
	cleanPosition                int64
	connected                    bool

	refCount         int
	state            pubState
	lingerDeadlineNs int64

	// spies read the log in place, each through its sub-pos.
	spies []*subscriberLink

	// responseImage is the request image a response publication answers,
	// until a receiver connects.
	responseImage *publicationImage

	blocked blockWatch
}

// pubClosing is a network publication handed back by the sender, waiting
// for it to let go before the log is unmapped.
const pubClosing = pubDone + 1

func (c *Conductor) resolveUDP(u *uri.URI) (*uri.UDPChannel, error) {
	ch, err := uri.ResolveUDP(context.Background(), u, false)
	if err != nil {
		return nil, coded(command.ErrInvalidChannel, "%v", err)
	}
	if ch.ControlMode == uri.ControlModeResponse && !ch.HasExplicitControl {
		return nil, coded(command.ErrInvalidChannel, "%s: control-mode=response needs control= (the server's response address)", u.String())
	}
	return ch, nil
}

func (c *Conductor) networkAvailable() error {
	if c.ctx.Backend == nil || c.ctx.Sender == nil || c.ctx.Receiver == nil {
		return coded(command.ErrInvalidChannel, "network channels need a network backend, and this driver runs without one")
	}
	return nil
}

func (c *Conductor) socketBuffers(u *uri.URI) (rcv, snd int, err error) {
	rcv, snd = c.cfg.SocketSoRcvbuf, c.cfg.SocketSoSndbuf
	if v, ok, e := u.SocketRcvBuf(); e != nil {
		return 0, 0, coded(command.ErrInvalidChannel, "%v", e)
	} else if ok {
		rcv = v
	}
	if v, ok, e := u.SocketSndBuf(); e != nil {
		return 0, 0, coded(command.ErrInvalidChannel, "%v", e)
	} else if ok {
		snd = v
	}
	return rcv, snd, nil
}

func multicastTTL(ch *uri.UDPChannel, def int) int {
	if ch.MulticastTTL > 0 {
		return ch.MulticastTTL
	}
	return def
}

// sendEndpointFor finds or opens the send endpoint of a channel.
func (c *Conductor) sendEndpointFor(u *uri.URI, ch *uri.UDPChannel, correlationID int64, mtu int) (*sendEndpoint, error) {
	if se := c.sendEndpoints[ch.Canonical]; se != nil {
		return se, nil
	}
	rcv, snd, err := c.socketBuffers(u)
	if err != nil {
		return nil, err
	}
	spec := backend.Spec{Local: ch.LocalControl, SocketRcvBuf: rcv, SocketSndBuf: snd, MaxDatagram: mtu,
		MulticastTTL: multicastTTL(ch, c.cfg.SocketMulticastTTL)}
	switch {
	case ch.Multicast:
		// Data goes to the group; status messages come to the control
		// group, which the endpoint joins.
		spec.Local, spec.Interface = ch.RemoteControl, ch.LocalData.Addr()
	case ch.ControlMode == uri.ControlModeDynamic || ch.ControlMode == uri.ControlModeManual:
	case ch.HasExplicitEndpoint:
		// Aeron connects a unicast send socket to its endpoint, so only
		// that receiver's control frames are accepted.
		spec.Connect = ch.RemoteData
	}
	t, status, err := c.openChannelEndpoint(u, spec, counters.TypeSendChannelStatus, counters.NameSendChannelStatus, correlationID)
	if err != nil {
		return nil, err
	}
	ep := sender.NewEndpoint(ch, t, c.ctx.System, c.ctx.Backend.BatchSize())
	ep.Status = status
	se := &sendEndpoint{canonical: ch.Canonical, ep: ep}
	c.sendEndpoints[ch.Canonical] = se
	c.ctx.Sender.AddEndpoint(ep)
	c.log.Debug("send endpoint opened", "channel", u.String(), "local", t.LocalAddr())
	return se, nil
}

func (c *Conductor) releaseSendEndpoint(se *sendEndpoint) {
	se.refs--
	if se.refs > 0 {
		return
	}
	delete(c.sendEndpoints, se.canonical)
	c.closeChannelStatus(se.ep.Status)
	c.ctx.Sender.RemoveEndpoint(se.ep)
}

// openChannelEndpoint opens a channel endpoint's transport and its
// channel status counter (snd-channel or rcv-channel), set ACTIVE once the
// transport is bound.
func (c *Conductor) openChannelEndpoint(u *uri.URI, spec backend.Spec, statusType int32, statusName string, correlationID int64) (backend.Transport, counters.Counter, error) {
	t, err := c.ctx.Backend.Open(spec)
	if err != nil {
		return nil, counters.Counter{}, coded(command.ErrGenericError, "%s: open %s endpoint on %s: %v", u.String(), statusName, spec.Local, err)
	}
	status, err := c.channelStatus(u.String()+" "+t.LocalAddr().String(), statusType, statusName, correlationID)
	if err != nil {
		t.Close()
		return nil, counters.Counter{}, err
	}
	return t, status, nil
}

// channelStatus allocates a channel status counter, ACTIVE.
func (c *Conductor) channelStatus(label string, statusType int32, statusName string, correlationID int64) (counters.Counter, error) {
	status, err := c.ctx.Counters.AllocateChannelStatus(statusType, statusName, correlationID, label)
	if err != nil {
		return counters.Counter{}, coded(command.ErrGenericError, "allocate %s: %v", statusName, err)
	}
	status.Set(channelActive)
	return status, nil
}

func (c *Conductor) closeChannelStatus(status counters.Counter) {
	status.Set(channelClosing)
	c.ctx.Counters.Free(status.ID())
}

func (c *Conductor) onAddNetworkPublication(m command.PublicationMessage, exclusive bool, u *uri.URI) error {
	if err := c.networkAvailable(); err != nil {
		return err
	}
	if u.Spy {
		return coded(command.ErrInvalidChannel, "%s: a spy channel is for subscriptions only", m.Channel)
	}
	params, err := c.parsePubParams(u, c.networkDefaults())
	if err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if params.mtu > uri.MaxUDPPayload {
		return coded(command.ErrInvalidChannel, "%s: mtu %d exceeds the largest UDP payload %d", m.Channel, params.mtu, uri.MaxUDPPayload)
	}
	ch, err := c.resolveUDP(u)
	if err != nil {
		return err
	}
	if !ch.HasExplicitEndpoint && ch.ControlMode != uri.ControlModeManual && ch.ControlMode != uri.ControlModeDynamic && ch.ControlMode != uri.ControlModeResponse {
		return coded(command.ErrInvalidChannel, "%s: a publication needs endpoint=, or control-mode=manual, dynamic or response", m.Channel)
	}
	// Response channels (aeron_driver_conductor_find_response_publication_image
	// and validate_response_subscription): a response publication answers
	// one request image that asked for it; a request publication names
	// the client's response subscription.
	var responseImage *publicationImage
	switch {
	case params.isResponse && params.responseCorrelationID == noResponse:
		return coded(command.ErrGenericError, "%s: control-mode=response was specified, but no response-correlation-id set", m.Channel)
	case params.isResponse && params.responseCorrelationID == prototypeResponse:
		// A placeholder that keeps the response endpoint open
		// between clients: no image, the smallest term.
		params.termLength = logbuffer.MinTermLength
		params.mtu = min(params.mtu, params.termLength/8)
	case params.isResponse:
		for _, pi := range c.images {
			if pi.correlationID == params.responseCorrelationID && pi.state == imageActive {
				responseImage = pi
				break
			}
		}
		if responseImage == nil {
			return coded(command.ErrGenericError, "%s: image.correlationId=%d not found", m.Channel, params.responseCorrelationID)
		}
		if !responseImage.sendResponseSetup {
			return coded(command.ErrGenericError, "%s: image.correlationId=%d did not request a response channel", m.Channel, params.responseCorrelationID)
		}
	case params.responseCorrelationID >= 0:
		if c.responseSubscription(params.responseCorrelationID) == nil {
			return coded(command.ErrGenericError, "%s: unable to find response subscription for response-correlation-id=%d", m.Channel, params.responseCorrelationID)
		}
	}
	if ch.ControlMode == uri.ControlModeDynamic && !ch.HasExplicitControl {
		return coded(command.ErrInvalidChannel, "%s: control-mode=dynamic needs control=", m.Channel)
	}
	cl := c.client(m.ClientID)
	if cl == nil {
		return coded(command.ErrGenericError, "no counters left to register client %d", m.ClientID)
	}
	var pub *networkPublication
	if !exclusive {
		for _, p := range c.netPubs {
			if p.state == pubActive && !p.exclusive && p.streamID == m.StreamID && p.endpoint.canonical == ch.Canonical &&
				(!params.hasSession || p.sessionID == params.sessionID) && p.params.responseCorrelationID == params.responseCorrelationID {
				if err := compatibleParams(p.params, params, u); err != nil {
					return coded(command.ErrInvalidChannel, "%v", err)
				}
				pub = p
				break
			}
		}
	}
	if params.hasSession {
		for _, p := range c.netPubs {
			if p != pub && p.state == pubActive && p.streamID == m.StreamID && p.sessionID == params.sessionID &&
				p.endpoint.canonical == ch.Canonical {
				return coded(command.ErrGenericError, "existing publication has clashing session-id %d on stream %d", params.sessionID, m.StreamID)
			}
		}
	}
	if pub == nil {
		if pub, err = c.newNetworkPublication(m, exclusive, u, ch, params); err != nil {
			return err
		}
		if responseImage != nil {
			pub.responseImage = responseImage
			responseImage.img.SetResponseSession(pub.sessionID)
		}
	}
	pub.refCount++
	cl.publications = append(cl.publications, &pubLink{registrationID: m.CorrelationID, net: pub})
	typ := command.OnPublicationReady
	if exclusive {
		typ = command.OnExclusivePublicationReady
	}
	n, err := command.EncodePublicationReady(c.scratch, m.CorrelationID, pub.registrationID, pub.sessionID, pub.streamID,
		pub.pubLmt.ID(), pub.endpoint.ep.Status.ID(), pub.logPath)
	c.transmit(typ, n, err)
	return nil
}

func compatibleParams(have, want pubParams, u *uri.URI) error {
	if _, ok := u.Get("term-length"); ok && want.termLength != have.termLength {
		return u.Errorf("term-length", "%d differs from the existing publication's %d", want.termLength, have.termLength)
	}
	if _, ok := u.Get("mtu"); ok && want.mtu != have.mtu {
		return u.Errorf("mtu", "%d differs from the existing publication's %d", want.mtu, have.mtu)
	}
	if _, ok := u.Get("ssc"); ok && want.ssc != have.ssc {
		return u.Errorf("ssc", "%t differs from the existing publication's %t", want.ssc, have.ssc)
	}
	return nil
}

func (c *Conductor) newNetworkPublication(m command.PublicationMessage, exclusive bool, u *uri.URI, ch *uri.UDPChannel, params pubParams) (*networkPublication, error) {
	fcValue, _ := u.Get("fc")
	fc, err := flowcontrol.New(fcValue, flowcontrol.Options{
		ReceiverTimeout: c.cfg.FlowControlReceiverTimeout, GroupTag: int64(c.cfg.FlowControlGroupTag),
		GroupMinSize: c.cfg.FlowControlGroupMinSize, InitialReceiverWindow: c.cfg.RcvInitialWindowLength,
		Multicast: ch.Multicast || ch.ControlMode == uri.ControlModeDynamic || ch.ControlMode == uri.ControlModeManual,
	}, params.termLength)
	if err != nil {
		return nil, coded(command.ErrInvalidChannel, "%s: fc: %v", m.Channel, err)
	}
	maxResend := c.cfg.MaxResend
	if v, ok, err := u.MaxResendParam(); err != nil {
		return nil, coded(command.ErrInvalidChannel, "%v", err)
	} else if ok {
		maxResend = v
	}
	se, err := c.sendEndpointFor(u, ch, m.CorrelationID, params.mtu)
	if err != nil {
		return nil, err
	}
	se.refs++
	fail := func(err error) (*networkPublication, error) {
		c.releaseSendEndpoint(se)
		return nil, err
	}
	sessionID := params.sessionID
	if !params.hasSession {
		sessionID = c.allocateSessionID(m.StreamID)
	}
	if err := os.MkdirAll(c.publicationsDir(), 0o700); err != nil {
		return fail(coded(command.ErrGenericError, "create %s: %v", c.publicationsDir(), err))
	}
	channel := u.String()
	path := filepath.Join(c.publicationsDir(), strconv.FormatInt(m.CorrelationID, 10)+".logbuffer")
	log, err := logbuffer.CreateLog(path, params.termLength, c.cfg.FilePageSize, params.sparse)
	if err != nil {
		return fail(coded(command.ErrStorageSpace, "create log for %s: %v", channel, err))
	}
	window := params.termLength / 2
	if params.termWindow > 0 && params.termWindow < window {
		window = params.termWindow
	}
	typ := uint8(logbuffer.TypeConcurrentPublication)
	if exclusive {
		typ = logbuffer.TypeExclusivePublication
	}
	group := ch.Multicast || se.ep.IsMDC()
	log.Metadata().Initialise(logbuffer.Params{
		CorrelationID: m.CorrelationID, InitialTermID: params.initTermID, TermLength: params.termLength,
		PageSize: c.cfg.FilePageSize, MTU: params.mtu, SessionID: sessionID, StreamID: m.StreamID,
		PublicationWindow: window, ReceiverWindow: c.cfg.RcvInitialWindowLength, MaxResend: maxResend, EntityTag: -1,
		SocketSndbuf: c.cfg.SocketSoSndbuf, SocketRcvbuf: c.cfg.SocketSoRcvbuf,
		LingerTimeoutNs: int64(params.linger), UntetheredWindowLimitNs: int64(c.cfg.UntetheredWindowLimitTimeout),
		UntetheredRestingNs: int64(c.cfg.UntetheredRestingTimeout), UntetheredLingerNs: int64(c.cfg.UntetheredWindowLimitTimeout),
		Sparse: params.sparse, SignalEOS: params.signalEOS, SpiesSimulateConnection: params.ssc,
		IsResponse: params.isResponse, ResponseCorrelationID: params.responseCorrelationID,
		Tether: c.cfg.TetherSubscriptions, Rejoin: c.cfg.RejoinStream, Reliable: true, Group: group, Type: typ,
		HasStart: params.hasStart, TermID: params.termID, TermOffset: params.termOffset,
	})
	bits := logbuffer.PositionBitsToShift(params.termLength)
	start := int64(0)
	if params.hasStart {
		start = logbuffer.ComputePosition(params.termID, params.termOffset, bits, params.initTermID)
	}
	p := &networkPublication{
		registrationID: m.CorrelationID, sessionID: sessionID, streamID: m.StreamID, channel: channel,
		exclusive: exclusive, params: params, endpoint: se, log: log, logPath: path, bits: bits,
		termWindow: int64(window), cleanPosition: start,
		blocked: blockWatch{lastPosition: start, lastChangeNs: c.ctx.NanoClock()},
	}
	posName := counters.NamePublisherPosConcurrent
	if exclusive {
		posName = counters.NamePublisherPosExclusive
	}
	allocs := []struct {
		dst  *counters.Counter
		typ  int32
		name string
	}{
		{&p.pubPos, counters.TypePublisherPosition, posName},
		{&p.pubLmt, counters.TypePublisherLimit, counters.NamePublisherLimit},
		{&p.sndPos, counters.TypeSenderPosition, counters.NameSenderPosition},
		{&p.sndLmt, counters.TypeSenderLimit, counters.NameSenderLimit},
		{&p.sndBPE, counters.TypeSenderBPE, counters.NameSenderBPE},
		{&p.naks, counters.TypeSenderNaksReceived, counters.NameSenderNaksReceived},
	}
	for i, a := range allocs {
		ctr, err := c.ctx.Counters.AllocateStream(a.typ, a.name, m.CorrelationID, m.ClientID, sessionID, m.StreamID, channel, "")
		if err != nil {
			for _, done := range allocs[:i] {
				c.ctx.Counters.Free(done.dst.ID())
			}
			log.Close()
			os.Remove(path)
			return fail(coded(command.ErrGenericError, "allocate %s: %v", a.name, err))
		}
		*a.dst = ctr
		ctr.Set(start)
	}
	p.sndBPE.Set(0)
	p.naks.Set(0)
	p.sp = sender.NewPublication(sender.Params{
		RegistrationID: m.CorrelationID, SessionID: sessionID, StreamID: m.StreamID, InitialTermID: params.initTermID,
		TermLength: params.termLength, MTU: params.mtu, TTL: multicastTTL(ch, c.cfg.SocketMulticastTTL), Group: group,
		SignalEOS: params.signalEOS, SpiesSimulateConnection: params.ssc, StartPosition: start,
		RequestsResponse: !params.isResponse && params.responseCorrelationID != noResponse, IsResponse: params.isResponse, Log: log, Endpoint: se.ep,
		SndPos: p.sndPos, SndLmt: p.sndLmt, SndBPE: p.sndBPE, NaksReceived: p.naks, FlowControl: fc,
		Retransmit: retransmit.Options{DelayNs: int64(c.cfg.RetransmitUnicastDelay), LingerNs: int64(c.cfg.RetransmitUnicastLinger),
			Group: group, MaxResend: maxResend},
		System: c.ctx.System,
		Timing: sender.Timing{SetupTimeoutNs: 100e6, HeartbeatTimeoutNs: 100e6,
			ConnectionTimeoutNs: int64(c.cfg.PublicationConnectionTimeout), MaxMessagesPerSend: 16},
	})
	c.netPubs = append(c.netPubs, p)
	c.ctx.Sender.AddPublication(p.sp)
	for _, sub := range c.subscriptions {
		if sub.spies(p) {
			c.linkSpy(sub, p)
		}
	}
	c.log.Debug("network publication added", "registration", m.CorrelationID, "session", sessionID, "stream", m.StreamID, "channel", channel)
	return p, nil
}

// releaseNetworkPublication drops one reference; the last starts the end
// of the stream.
func (c *Conductor) releaseNetworkPublication(p *networkPublication) {
	p.refCount--
	if p.refCount > 0 || p.state != pubActive {
		return
	}
	producer := logbuffer.ProducerPosition(p.log.Meta())
	logbuffer.SetEndOfStreamPosition(p.log.Meta(), producer)
	p.pubLmt.Set(producer)
	p.state = pubDraining
}

// updateNetworkPublication sets pub-pos and pub-lmt from the sender's
// position while receivers are connected
// (aeron_network_publication_update_pub_pos_and_lmt).
func (c *Conductor) updateNetworkPublication(p *networkPublication) int {
	if p.state != pubActive {
		return 0
	}
	meta := p.log.Meta()
	p.pubPos.Set(logbuffer.ProducerPosition(meta))
	snd := p.sndPos.Get()
	// Spies hold the limit back as receivers do: the slowest consumer
	// bounds what publishers may write.
	consumer, furthest := snd, int64(-1)
	for _, l := range p.spies {
		pos := l.position.Get()
		consumer, furthest = min(consumer, pos), max(furthest, pos)
	}
	if p.params.ssc {
		p.sp.SetSpyPosition(furthest)
	}
	if p.params.responseCorrelationID >= 0 && !p.params.isResponse {
		if rsp, ok := p.sp.TakeResponseSetup(); ok {
			c.onResponseSetup(p.params.responseCorrelationID, rsp)
		}
	}
	if p.responseImage != nil && p.sp.IsConnected() {
		// The client's driver found us: no more response setups.
		p.responseImage.img.ClearResponseSession()
		p.responseImage = nil
	}
	work := 0
	// With ssc, spies alone make the stream connected (Aeron's
	// spiesSimulateConnection).
	if p.sp.IsConnected() || (p.params.ssc && len(p.spies) > 0) {
		if !p.connected {
			p.connected = true
			logbuffer.SetIsConnected(meta, true)
		}
		proposed := consumer + p.termWindow
		if proposed > p.pubLmt.Get() {
			logbuffer.CleanTo(p.log, &p.cleanPosition, consumer-int64(p.params.termLength))
			p.pubLmt.Set(proposed)
			work++
		}
	} else {
		if p.connected {
			p.connected = false
			logbuffer.SetIsConnected(meta, false)
		}
		if p.pubLmt.Get() > snd {
			p.pubLmt.Set(snd)
			logbuffer.CleanTo(p.log, &p.cleanPosition, consumer-int64(p.params.termLength))
		}
	}
	return work
}

// checkNetworkPublications moves publications through draining, linger
// and release.
func (c *Conductor) checkNetworkPublications(nowNs int64) int {
	work := 0
	for i := 0; i < len(c.netPubs); {
		p := c.netPubs[i]
		switch p.state {
		case pubActive:
			if !p.exclusive {
				work += c.unblock(&p.blocked, p.log, p.bits, p.sndPos.Get(), nowNs)
			}
		case pubDraining:
			producer := logbuffer.ProducerPosition(p.log.Meta())
			if (p.sndPos.Get() >= producer || !p.sp.IsConnected()) && c.spiesDrained(p, producer) {
				c.unlinkSpies(p)
				p.sp.SetEndOfStream()
				p.state = pubLinger
				p.lingerDeadlineNs = nowNs + int64(p.params.linger)
				work++
			}
		case pubLinger:
			if nowNs >= p.lingerDeadlineNs || p.sp.EndOfStreamAcknowledged() {
				c.ctx.Sender.RemovePublication(p.sp)
				p.state = pubClosing
				work++
			}
		case pubClosing:
			if p.sp.Released() {
				for _, ctr := range []counters.Counter{p.pubPos, p.pubLmt, p.sndPos, p.sndLmt, p.sndBPE, p.naks} {
					c.ctx.Counters.Free(ctr.ID())
				}
				p.log.Close()
				os.Remove(p.logPath)
				c.releaseSendEndpoint(p.endpoint)
				c.netPubs = append(c.netPubs[:i], c.netPubs[i+1:]...)
				work++
				continue
			}
		}
		i++
	}
	return work
}

// onDestination handles ADD_DESTINATION and REMOVE_DESTINATION by channel
// for a manual multi-destination-cast publication, or
// REMOVE_DESTINATION_BY_ID when destinationID is not -1 (the correlation
// id of the ADD_DESTINATION that added it).
func (c *Conductor) onDestination(typ int32, m command.DestinationMessage, destinationID int64) error {
	var pub *networkPublication
	if cl := c.clients[m.ClientID]; cl != nil {
		for _, l := range cl.publications {
			if l.net != nil && (l.registrationID == m.RegistrationID || l.net.registrationID == m.RegistrationID) {
				pub = l.net
				break
			}
		}
	}
	if pub == nil {
		return coded(command.ErrUnknownPublication, "%s: unknown publication registration id %d", command.CommandName(typ), m.RegistrationID)
	}
	ep := pub.endpoint.ep
	if ep.Channel.ControlMode != uri.ControlModeManual {
		return coded(command.ErrInvalidChannel, "%s: publication %d is not control-mode=manual", command.CommandName(typ), m.RegistrationID)
	}
	if destinationID != -1 {
		c.ctx.Sender.RemoveDestination(ep, netipNone, destinationID)
	} else {
		u, err := uri.Parse(string(m.Channel))
		if err != nil {
			return coded(command.ErrInvalidChannel, "%v", err)
		}
		ch, err := uri.ResolveUDP(context.Background(), u, true)
		if err != nil {
			return coded(command.ErrInvalidChannel, "%v", err)
		}
		if ch.ControlMode == uri.ControlModeResponse || u.Has(uri.ResponseCorrelationID) {
			return coded(command.ErrInvalidChannel, "%s: a destination may not have control-mode=response or response-correlation-id", m.Channel)
		}
		if typ == command.AddDestination {
			c.ctx.Sender.AddDestination(ep, ch.RemoteData, m.CorrelationID)
		} else {
			c.ctx.Sender.RemoveDestination(ep, ch.RemoteData, 0)
		}
	}
	n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
	c.transmit(command.OnOperationSuccess, n, err)
	return nil
}

func (p *networkPublication) String() string {
	return fmt.Sprintf("network publication %d session %d stream %d", p.registrationID, p.sessionID, p.streamID)
}

// spies says whether a spy subscription watches a network publication.
func (s *subscription) spies(p *networkPublication) bool {
	return s.spy && p.state == pubActive && p.streamID == s.streamID && p.endpoint.canonical == s.spyCanonical &&
		(!s.hasSession || p.sessionID == s.sessionID)
}

// linkSpy gives a spy an image of a local network publication, starting
// at what the sender has sent.
func (c *Conductor) linkSpy(s *subscription, p *networkPublication) {
	pos, ok := c.subscriberPosition(s, p.registrationID, p.sessionID, p.streamID, p.sndPos.Get())
	if !ok {
		return
	}
	p.spies = append(p.spies, &subscriberLink{sub: s, position: pos})
	c.announceImage(s, p.registrationID, p.sessionID, p.streamID, pos, p.logPath, "aeron:ipc")
}

func (c *Conductor) spiesDrained(p *networkPublication, producer int64) bool {
	for _, l := range p.spies {
		if l.position.Get() < producer {
			return false
		}
	}
	return true
}

// unlinkSpies tells a publication's spies it has gone.
func (c *Conductor) unlinkSpies(p *networkPublication) {
	for _, l := range p.spies {
		n, err := command.EncodeUnavailableImage(c.scratch, p.registrationID, l.sub.registrationID, p.streamID, l.sub.channel)
		c.transmit(command.OnUnavailableImage, n, err)
		c.ctx.Counters.Free(l.position.ID())
	}
	p.spies = nil
}

// unlinkSpy removes a closed spy subscription from every publication.
func (c *Conductor) unlinkSpy(s *subscription) {
	for _, p := range c.netPubs {
		for i := 0; i < len(p.spies); {
			if p.spies[i].sub == s {
				c.ctx.Counters.Free(p.spies[i].position.ID())
				p.spies = append(p.spies[:i], p.spies[i+1:]...)
				continue
			}
			i++
		}
	}
}

// responseSubscription finds the response subscription (control-mode=
// response) with the registration id a request publication names.
func (c *Conductor) responseSubscription(registrationID int64) *subscription {
	for _, s := range c.subscriptions {
		if s.registrationID == registrationID && s.isResponse {
			return s
		}
	}
	return nil
}

// onResponseSetup: a server made the response publication for one of our
// request publications and told us its session. The response
// subscription takes that session, which asks the server for SETUP from
// the subscription's socket; on a repeat it asks again
// (aeron_driver_conductor_on_response_setup).
func (c *Conductor) onResponseSetup(subscriptionID int64, responseSessionID int32) {
	s := c.responseSubscription(subscriptionID)
	if s == nil || s.endpoint == nil {
		return
	}
	if !s.hasSession {
		s.sessionID, s.hasSession = responseSessionID, true
		c.ctx.Receiver.AddSubscription(s.endpoint.ep, s.streamID, s.sessionID, true)
		c.log.Debug("response subscription joined", "subscription", s.registrationID, "session", responseSessionID, "stream", s.streamID)
		return
	}
	c.ctx.Receiver.RequestSetup(s.endpoint.ep, s.streamID, s.sessionID)
}
