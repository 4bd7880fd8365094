package conductor

import (
	"context"
	"fmt"

	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/congestion"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/lossdetect"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/receiver"
	"github.com/aeron-bypass/aeron-bypass/driver/sender"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

var netipNone netip.AddrPort

// imageDrainMultiple of the status message timeout is how long a drained
// image waits before it goes (Aeron's AERON_IMAGE_SM_EOS_MULTIPLE).
const imageDrainMultiple = 5

// receiveEndpoint is the conductor's record of a receive channel endpoint.
type receiveEndpoint struct {
	canonical string
	ep        *receiver.Endpoint
	refs      int
}

type imageState int

const (
	imageActive imageState = iota
	imageDraining
	imageLinger
	imageDone
)

// imageLink ties a network subscription to an image through a sub-pos.
type imageLink struct {
	sub      *subscription
	position counters.Counter
}

// publicationImage is the conductor's side of an image: log, counters,
// subscribers and lifecycle. The receiver owns the wire state.
type publicationImage struct {
	correlationID int64
	sessionID     int32
	streamID      int32
	endpoint      *receiveEndpoint
	img           *receiver.Image
	log           *logbuffer.LogBuffers
	logPath       string
	source        string
	hwm, rcvPos   counters.Counter
	naks          counters.Counter
	// ccRTT and ccWindow are cubic's per-image counters (invalid for static).
	ccRTT, ccWindow counters.Counter
	links           []*imageLink
	rejoin          bool
	// sendResponseSetup: the publisher's SETUP asked for a response
	// channel (a client's request publication).
	sendResponseSetup bool

	state     imageState
	changedNs int64
}

// imageRequest is the receiver's ask for an image, queued to the conductor.
type imageRequest struct {
	ep              *receiver.Endpoint
	setup           protocol.Setup
	source, control netip.AddrPort
	destination     int
}

// requester is what the receiver calls; it only queues.
type requester struct{ c *Conductor }

func (r requester) RequestImage(e *receiver.Endpoint, setup protocol.Setup, source, control netip.AddrPort, destination int) {
	r.c.imageRequests.Offer(imageRequest{ep: e, setup: setup, source: source, control: control, destination: destination})
}

// ImageRequester is handed to receive endpoints.
func (c *Conductor) ImageRequester() receiver.ImageRequester { return requester{c} }

func (c *Conductor) receiveEndpointFor(u *uri.URI, ch *uri.UDPChannel, correlationID int64) (*receiveEndpoint, error) {
	if re := c.recvEndpoints[ch.Canonical]; re != nil {
		return re, nil
	}
	rcv, snd, err := c.socketBuffers(u)
	if err != nil {
		return nil, err
	}
	spec := backend.Spec{Local: ch.RemoteData, SocketRcvBuf: rcv, SocketSndBuf: snd, MaxDatagram: uri.MaxUDPPayload,
		MulticastTTL: multicastTTL(ch, c.cfg.SocketMulticastTTL)}
	if ch.Multicast {
		spec.Interface = ch.LocalData.Addr()
	}
	gtag, hasTag, err := c.groupTag(u)
	if err != nil {
		return nil, err
	}
	var t backend.Transport
	var status counters.Counter
	if ch.ControlMode == uri.ControlModeManual {
		// A multi-destination subscription: sockets come with each
		// ADD_RCV_DESTINATION.
		status, err = c.channelStatus(u.String(), counters.TypeReceiveChannelStatus, counters.NameReceiveChannelStatus, correlationID)
	} else {
		t, status, err = c.openChannelEndpoint(u, spec, counters.TypeReceiveChannelStatus, counters.NameReceiveChannelStatus, correlationID)
	}
	if err != nil {
		return nil, err
	}
	ep := receiver.NewEndpoint(receiver.EndpointParams{
		Channel: ch, Transport: t, System: c.ctx.System, Requester: c.ImageRequester(),
		ReceiverID: randSource.Int63(), GroupTag: gtag, HasGroupTag: hasTag, Batch: c.ctx.Backend.BatchSize(),
	})
	ep.Status = status
	re := &receiveEndpoint{canonical: ch.Canonical, ep: ep}
	c.recvEndpoints[ch.Canonical] = re
	c.ctx.Receiver.AddEndpoint(ep)
	c.log.Debug("receive endpoint opened", "channel", u.String(), "local", ep.LocalAddr())
	return re, nil
}

func (c *Conductor) releaseReceiveEndpoint(re *receiveEndpoint) {
	re.refs--
	if re.refs > 0 {
		return
	}
	delete(c.recvEndpoints, re.canonical)
	c.closeChannelStatus(re.ep.Status)
	c.ctx.Receiver.RemoveEndpoint(re.ep)
}

// groupTag is the tag a receive endpoint puts in its status messages:
// the channel's gtag, else aeron.receiver.group.tag, else none.
func (c *Conductor) groupTag(u *uri.URI) (int64, bool, error) {
	gtag, hasTag, err := u.GroupTagParam()
	if err != nil {
		return 0, false, coded(command.ErrInvalidChannel, "%v", err)
	}
	if hasTag || c.cfg.ReceiverGroupTag == "" {
		return gtag, hasTag, nil
	}
	gtag, err = strconv.ParseInt(c.cfg.ReceiverGroupTag, 10, 64)
	if err != nil {
		return 0, false, coded(command.ErrInvalidChannel, "aeron.receiver.group.tag=%q is not a number", c.cfg.ReceiverGroupTag)
	}
	return gtag, true, nil
}

// addNetworkSubscription registers an aeron:udp subscription.
func (c *Conductor) addNetworkSubscription(s *subscription, u *uri.URI, correlationID int64) error {
	if err := c.networkAvailable(); err != nil {
		return err
	}
	ch, err := c.resolveUDP(u)
	if err != nil {
		return err
	}
	s.isResponse = ch.ControlMode == uri.ControlModeResponse
	if !ch.HasExplicitEndpoint && !ch.Multicast && !s.isResponse && ch.ControlMode != uri.ControlModeManual {
		return coded(command.ErrInvalidChannel, "%s: a subscription needs endpoint=", s.channel)
	}
	if s.reliable, err = u.Bool("reliable", c.cfg.ReliableStream); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if s.rejoin, err = u.Bool("rejoin", c.cfg.RejoinStream); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if s.cc, _, err = u.CongestionControl(); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if _, err := congestion.New(s.cc, congestion.Options{InitialWindowLength: c.cfg.RcvInitialWindowLength, TermLength: uri.MaxTermLength, MTU: 32}); err != nil {
		return coded(command.ErrInvalidChannel, "%s: cc: %v", s.channel, err)
	}
	s.rcvWindow = c.cfg.RcvInitialWindowLength
	if v, ok, err := u.ReceiverWindow(); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	} else if ok {
		s.rcvWindow = v
	}
	rcvBuf, _, err := c.socketBuffers(u)
	if err != nil {
		return err
	}
	if err := congestion.CheckWindowForRcvBuf(s.rcvWindow, rcvBuf); err != nil {
		return coded(command.ErrInvalidChannel, "%s: %v", s.channel, err)
	}
	s.nakDelay = int64(c.cfg.NakUnicastDelay)
	if v, ok, err := u.NakDelayParam(); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	} else if ok {
		s.nakDelay = int64(v)
	}
	group, err := u.GroupParam()
	if err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	s.group = ch.Multicast || group == uri.GroupForce
	re, err := c.receiveEndpointFor(u, ch, correlationID)
	if err != nil {
		return err
	}
	re.refs++
	s.endpoint = re
	if s.isResponse && !s.hasSession {
		// Nothing to receive until a server answers our request
		// publication with its response session (onResponseSetup).
		return nil
	}
	c.ctx.Receiver.AddSubscription(re.ep, s.streamID, s.sessionID, s.hasSession)
	return nil
}

// matchesImage says whether a network subscription takes an image.
func (s *subscription) matchesImage(pi *publicationImage) bool {
	return s.endpoint == pi.endpoint && s.streamID == pi.streamID && s.wantsSession(pi.sessionID)
}

// linkExistingImages gives a new network subscription the images its
// endpoint already has.
func (c *Conductor) linkExistingImages(s *subscription) {
	for _, pi := range c.images {
		if pi.state == imageActive && s.matchesImage(pi) {
			join := pi.rcvPos.Get()
			for _, l := range pi.links {
				join = min(join, l.position.Get())
			}
			c.linkImage(s, pi, join)
			c.publishSubscribers(pi)
		}
	}
}

func (c *Conductor) linkImage(s *subscription, pi *publicationImage, join int64) {
	pos, ok := c.subscriberPosition(s, pi.correlationID, pi.sessionID, pi.streamID, join)
	if !ok {
		return
	}
	pi.links = append(pi.links, &imageLink{sub: s, position: pos})
	c.announceImage(s, pi.correlationID, pi.sessionID, pi.streamID, pos, pi.logPath, pi.source)
}

func (c *Conductor) publishSubscribers(pi *publicationImage) {
	positions := make([]counters.Counter, 0, len(pi.links))
	for _, l := range pi.links {
		positions = append(positions, l.position)
	}
	pi.img.SetSubscribers(positions)
}

// createImage makes an image from a SETUP the receiver passed on
// (aeron_driver_conductor_on_create_publication_image).
func (c *Conductor) createImage(req imageRequest) {
	re := c.recvEndpointOf(req.ep)
	setup := req.setup
	refuse := func(format string, args ...any) {
		c.ctx.Receiver.ImageRefused(req.ep, setup.SessionID, setup.StreamID)
		if format != "" {
			c.recordError(command.ErrGenericError, fmt.Sprintf(format, args...))
		}
	}
	if re == nil {
		refuse("")
		return
	}
	var subs []*subscription
	for _, s := range c.subscriptions {
		if s.endpoint == re && s.streamID == setup.StreamID && s.wantsSession(setup.SessionID) {
			subs = append(subs, s)
		}
	}
	if len(subs) == 0 {
		refuse("")
		return
	}
	termLength, mtu := int(setup.TermLength), int(setup.MTU)
	if err := logbuffer.CheckTermLength(termLength); err != nil {
		refuse("SETUP from %s for session %d stream %d: %v", req.source, setup.SessionID, setup.StreamID, err)
		return
	}
	if err := uri.CheckMTU(int64(mtu)); err != nil || mtu > termLength/8 {
		refuse("SETUP from %s for session %d stream %d: bad mtu %d", req.source, setup.SessionID, setup.StreamID, mtu)
		return
	}
	correlationID := c.ring.NextCorrelationID()
	dir := filepath.Join(c.cfg.Dir, "images")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		refuse("create %s: %v", dir, err)
		return
	}
	path := filepath.Join(dir, strconv.FormatInt(correlationID, 10)+".logbuffer")
	log, err := logbuffer.CreateLog(path, termLength, c.cfg.FilePageSize, c.cfg.TermBufferSparseFile)
	if err != nil {
		refuse("create image log for session %d stream %d: %v", setup.SessionID, setup.StreamID, err)
		return
	}
	first := subs[0]
	window := min(first.rcvWindow, termLength/2)

	log.Metadata().Initialise(logbuffer.Params{
		CorrelationID: correlationID, InitialTermID: setup.InitialTermID, TermLength: termLength,
		PageSize: c.cfg.FilePageSize, MTU: mtu, SessionID: setup.SessionID, StreamID: setup.StreamID,
		ReceiverWindow: window, SocketRcvbuf: c.cfg.SocketSoRcvbuf, SocketSndbuf: c.cfg.SocketSoSndbuf,
		EntityTag: -1, ResponseCorrelationID: -1, Sparse: c.cfg.TermBufferSparseFile,
		Tether: first.tether, Rejoin: first.rejoin, Reliable: first.reliable, Group: first.group,
		Type: logbuffer.TypePublicationImage, HasStart: true, TermID: setup.ActiveTermID, TermOffset: setup.TermOffset,
		UntetheredWindowLimitNs: int64(c.cfg.UntetheredWindowLimitTimeout), UntetheredRestingNs: int64(c.cfg.UntetheredRestingTimeout),
		UntetheredLingerNs: int64(c.cfg.UntetheredWindowLimitTimeout),
	})
	channel := first.channel
	var ctrs [3]counters.Counter
	for i, a := range []struct {
		typ  int32
		name string
	}{
		{counters.TypeReceiverHWM, counters.NameReceiverHWM},
		{counters.TypeReceiverPosition, counters.NameReceiverPosition},
		{counters.TypeReceiverNaksSent, counters.NameReceiverNaksSent},
	} {
		ctr, err := c.ctx.Counters.AllocateStream(a.typ, a.name, correlationID, first.clientID, setup.SessionID, setup.StreamID, channel, "")
		if err != nil {
			for _, done := range ctrs[:i] {
				c.ctx.Counters.Free(done.ID())
			}
			log.Close()
			os.Remove(path)
			refuse("allocate %s: %v", a.name, err)
			return
		}
		ctrs[i] = ctr
	}
	bits := logbuffer.PositionBitsToShift(termLength)
	join := logbuffer.ComputePosition(setup.ActiveTermID, setup.TermOffset, bits, setup.InitialTermID)
	ctrs[0].Set(join)
	ctrs[1].Set(join)
	ctrs[2].Set(0)
	nowNs := c.ctx.NanoClock()
	cc, err := congestion.New(first.cc, congestion.Options{InitialWindowLength: first.rcvWindow, TermLength: termLength, MTU: mtu,
		NowNs: nowNs, CubicMeasureRTT: c.cfg.CubicMeasureRTT, CubicInitialRTT: c.cfg.CubicInitialRTT, CubicTCPMode: c.cfg.CubicTCPMode})
	if err != nil {
		for _, ctr := range ctrs {
			c.ctx.Counters.Free(ctr.ID())
		}
		log.Close()
		os.Remove(path)
		refuse("congestion control for session %d stream %d: %v", setup.SessionID, setup.StreamID, err)
		return
	}
	var ccRTT, ccWindow counters.Counter
	if first.cc == congestion.NameCubic {
		for _, a := range []struct {
			dst  *counters.Counter
			name string
		}{{&ccRTT, "rcv-cc-cubic-rtt"}, {&ccWindow, "rcv-cc-cubic-wnd"}} {
			if ctr, err := c.ctx.Counters.AllocateStream(counters.TypePerImage, a.name, correlationID, first.clientID, setup.SessionID, setup.StreamID, channel, ""); err == nil {
				*a.dst = ctr
			}
		}
	}
	var delay lossdetect.DelayGenerator
	switch {
	case !first.reliable:
		delay = lossdetect.NewStatic(0, 0)
	case first.group || setup.Flags&protocol.SetupFlagGroup != 0:
		delay = lossdetect.NewOptimalMulticast(int64(c.cfg.NakMulticastMaxBackoff), c.cfg.NakMulticastGroupSize, randSource)
	default:
		delay = lossdetect.NewStatic(first.nakDelay, lossdetect.UnicastRetryDelay(first.nakDelay, int64(c.cfg.NakUnicastRetryDelayRatio)))
	}
	img := receiver.NewImage(receiver.ImageParams{
		CorrelationID: correlationID, SessionID: setup.SessionID, StreamID: setup.StreamID,
		InitialTermID: setup.InitialTermID, ActiveTermID: setup.ActiveTermID, TermOffset: setup.TermOffset,
		TermLength: termLength, MTU: mtu, Log: log, Endpoint: req.ep, Source: req.source, Control: req.control, Destination: req.destination,
		HWM: ctrs[0], RcvPos: ctrs[1], NaksSent: ctrs[2], CC: cc, CCRTT: ccRTT, CCWindow: ccWindow, NakDelay: delay, Reliable: first.reliable,
		SMTimeoutNs: int64(c.cfg.RcvStatusMessageTimeout), System: c.ctx.System,
	}, nowNs)
	pi := &publicationImage{
		correlationID: correlationID, sessionID: setup.SessionID, streamID: setup.StreamID, endpoint: re, img: img,
		log: log, logPath: path, source: req.source.String(), hwm: ctrs[0], rcvPos: ctrs[1], naks: ctrs[2],
		rejoin: first.rejoin, changedNs: nowNs, ccRTT: ccRTT, ccWindow: ccWindow,
		sendResponseSetup: setup.Flags&protocol.SetupFlagSendResponse != 0,
	}
	for _, s := range subs {
		c.linkImage(s, pi, join)
	}
	c.publishSubscribers(pi)
	c.images = append(c.images, pi)
	c.ctx.Receiver.AddImage(img)
	c.log.Debug("image created", "correlation", correlationID, "session", setup.SessionID, "stream", setup.StreamID, "source", req.source)
}

func (c *Conductor) recvEndpointOf(ep *receiver.Endpoint) *receiveEndpoint {
	for _, re := range c.recvEndpoints {
		if re.ep == ep {
			return re
		}
	}
	return nil
}

// unlinkSubscriptionFromImages frees a removed subscription's sub-pos
// counters on every image.
func (c *Conductor) unlinkSubscriptionFromImages(s *subscription) {
	for _, pi := range c.images {
		changed := false
		for i := 0; i < len(pi.links); {
			if pi.links[i].sub == s {
				c.ctx.Counters.Free(pi.links[i].position.ID())
				pi.links = append(pi.links[:i], pi.links[i+1:]...)
				changed = true
				continue
			}
			i++
		}
		if changed {
			c.publishSubscribers(pi)
		}
	}
}

// checkImages moves images through draining, linger and release
// (aeron_publication_image_on_time_event).
func (c *Conductor) checkImages(nowNs int64) int {
	work := 0
	for i := 0; i < len(c.images); {
		pi := c.images[i]
		switch pi.state {
		case imageActive:
			rcvPos := pi.rcvPos.Get()
			if len(pi.links) == 0 || nowNs-pi.img.TimeOfLastPacketNs() > int64(c.cfg.ImageLivenessTimeout) ||
				(pi.img.EndOfStream() && rcvPos >= pi.hwm.Get()) {
				pi.img.SetDraining()
				pi.state, pi.changedNs = imageDraining, nowNs
				work++
			}
		case imageDraining:
			rcvPos := pi.rcvPos.Get()
			drained := true
			for _, l := range pi.links {
				if l.position.Get() < rcvPos {
					drained = false
				}
			}
			if (drained || nowNs-pi.img.TimeOfLastPacketNs() > int64(c.cfg.ImageLivenessTimeout)) &&
				nowNs-pi.changedNs > imageDrainMultiple*int64(c.cfg.RcvStatusMessageTimeout) {
				for _, l := range pi.links {
					n, err := command.EncodeUnavailableImage(c.scratch, pi.correlationID, l.sub.registrationID, pi.streamID, l.sub.channel)
					c.transmit(command.OnUnavailableImage, n, err)
					c.ctx.Counters.Free(l.position.ID())
				}
				pi.links = nil
				c.publishSubscribers(pi)
				c.ctx.Receiver.RemoveImage(pi.img, !pi.img.EndOfStream() && !pi.rejoin)
				pi.state, pi.changedNs = imageLinger, nowNs
				work++
			}
		case imageLinger:
			if pi.img.Released() {
				for _, ctr := range []counters.Counter{pi.hwm, pi.rcvPos, pi.naks, pi.ccRTT, pi.ccWindow} {
					if ctr.Valid() {
						c.ctx.Counters.Free(ctr.ID())
					}
				}
				pi.log.Close()
				os.Remove(pi.logPath)
				pi.state = imageDone
				c.images = append(c.images[:i], c.images[i+1:]...)
				work++
				continue
			}
		}
		i++
	}
	return work
}

// onRejectImage marks a network image rejected: its receiver drops the
// stream and sends ERR frames with the reason instead of status messages.
func (c *Conductor) onRejectImage(m command.RejectImageMessage) error {
	for _, pi := range c.images {
		if pi.correlationID != m.ImageCorrelationID {
			continue
		}
		if pi.img.Rejected() {
			return coded(command.ErrGenericError, "image %d is already rejected", m.ImageCorrelationID)
		}
		pi.img.Reject(string(m.Reason))
		c.ctx.System.ImagesRejected.Increment()
		c.log.Info("image rejected", "image", m.ImageCorrelationID, "session", pi.sessionID, "stream", pi.streamID, "reason", string(m.Reason))
		n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
		c.transmit(command.OnOperationSuccess, n, err)
		return nil
	}
	for _, p := range c.publications {
		if p.registrationID == m.ImageCorrelationID {
			return coded(command.ErrNotSupported, "REJECT_IMAGE: image %d is an IPC publication; only network images can be rejected", m.ImageCorrelationID)
		}
	}
	return coded(command.ErrGenericError, "REJECT_IMAGE: no image with correlation id %d", m.ImageCorrelationID)
}

// onPublicationError tells the clients of a publication that a receiver
// sent it an ERR frame (ON_PUBLICATION_ERROR).
func (c *Conductor) onPublicationError(e sender.PublicationError) {
	f := command.PublicationErrorFrame{RegistrationID: e.RegistrationID, DestinationRegistrationID: -1, SessionID: e.SessionID,
		StreamID: e.StreamID, ReceiverID: e.ReceiverID, GroupTag: e.GroupTag, SourcePort: e.Source.Port(),
		ErrorCode: command.ErrorCode(e.Code), Message: []byte(e.Message)}
	if a := e.Source.Addr().Unmap(); a.Is4() {
		f.AddressType = command.AddressTypeIPv4
		b := a.As4()
		copy(f.SourceAddress[:], b[:])
	} else {
		f.AddressType = command.AddressTypeIPv6
		f.SourceAddress = a.As16()
	}
	n, err := command.EncodePublicationError(c.scratch, &f)
	c.transmit(command.OnPublicationError, n, err)
	if c.ctx.Errors != nil {
		c.ctx.Errors.Record(e.Code, fmt.Sprintf("receiver %d at %s sent an error frame for session %d stream %d: %s",
			e.ReceiverID, e.Source, e.SessionID, e.StreamID, e.Message))
	}
}

// onRcvDestination adds a socket to, or removes one from, a
// multi-destination subscription (control-mode=manual): each destination
// is a receive channel of its own whose datagrams feed the subscription's
// images (ADD_RCV_DESTINATION, REMOVE_RCV_DESTINATION).
func (c *Conductor) onRcvDestination(typ int32, m command.DestinationMessage) error {
	var s *subscription
	for _, x := range c.subscriptions {
		if x.registrationID == m.RegistrationID && x.clientID == m.ClientID {
			s = x
			break
		}
	}
	if s == nil || s.endpoint == nil || !s.endpoint.ep.IsMDS() {
		return coded(command.ErrUnknownSubscription, "%s: unknown multi-destination subscription %d (it needs control-mode=manual)", command.CommandName(typ), m.RegistrationID)
	}
	u, err := parseChannel(m.Channel)
	if err != nil {
		return err
	}
	if u.Media != uri.UDP || u.Spy {
		return coded(command.ErrNotSupported, "%s: %s: only aeron:udp destinations are supported", command.CommandName(typ), m.Channel)
	}
	ch, err := uri.ResolveUDP(context.Background(), u, true)
	if err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if ch.ControlMode != uri.ControlModeNone || u.Has(uri.ResponseCorrelationID) {
		return coded(command.ErrInvalidChannel, "%s: a destination may not have control-mode or response-correlation-id", m.Channel)
	}
	ep := s.endpoint.ep
	if typ == command.RemoveRcvDestination {
		c.ctx.Receiver.RemoveDestination(ep, ch.Canonical)
	} else {
		rcv, snd, err := c.socketBuffers(u)
		if err != nil {
			return err
		}
		spec := backend.Spec{Local: ch.RemoteData, SocketRcvBuf: rcv, SocketSndBuf: snd, MaxDatagram: uri.MaxUDPPayload,
			MulticastTTL: multicastTTL(ch, c.cfg.SocketMulticastTTL)}
		if ch.Multicast {
			spec.Interface = ch.LocalData.Addr()
		}
		t, err := c.ctx.Backend.Open(spec)
		if err != nil {
			return coded(command.ErrGenericError, "%s: open %s: %v", command.CommandName(typ), m.Channel, err)
		}
		c.ctx.Receiver.AddDestination(ep, receiver.NewDestination(ch, t))
		c.log.Debug("receive destination added", "subscription", s.registrationID, "channel", string(m.Channel), "local", t.LocalAddr())
	}
	n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
	c.transmit(command.OnOperationSuccess, n, err)
	return nil
}
