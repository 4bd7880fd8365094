package conductor

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

type pubState int

const (
	pubActive pubState = iota
	pubDraining
	pubLinger
	pubDone
)

// subscriberState is a subscriber's place in an IPC stream: untethered
// subscribers that fall behind are moved out (linger), rest, and rejoin.
type subscriberState int

const (
	subActive subscriberState = iota
	subLinger
	subResting
)

// ipcPublication is an aeron:ipc publication (aeron_ipc_publication.c).
type ipcPublication struct {
	registrationID int64
	sessionID      int32
	streamID       int32
	channel        string
	exclusive      bool
	params         pubParams

	log           *logbuffer.LogBuffers
	logPath       string
	pubPos        counters.Counter
	pubLmt        counters.Counter
	bits          uint
	termWindow    int64
	tripGain      int64
	tripLimit     int64
	cleanPosition int64
	// consumerPosition is the furthest any subscriber has read.
	consumerPosition int64

	refCount int
	state    pubState
	// drained or linger deadlines, monotonic ns
	lingerDeadlineNs int64

	blocked blockWatch

	subscribers []*subscriberLink
}

// subscriberLink ties a subscription to a publication through a sub-pos
// counter the subscribing client advances.
type subscriberLink struct {
	sub      *subscription
	position counters.Counter
	state    subscriberState
	lastNs   int64
}

// pubParams are the channel parameters that define a publication's log.
type pubParams struct {
	termLength int
	mtu        int
	initTermID int32
	hasStart   bool
	termID     int32
	termOffset int32
	sessionID  int32
	hasSession bool
	linger     time.Duration
	sparse     bool
	signalEOS  bool
	ssc        bool // spies simulate connection
	termWindow int
	// isResponse: control-mode=response. responseCorrelationID is the
	// response-correlation-id: on a request publication the client's
	// response subscription, on a response publication the server's
	// request image; noResponse when absent, prototypeResponse for
	// "prototype".
	isResponse            bool
	responseCorrelationID int64
}

const (
	noResponse        = -1
	prototypeResponse = -2
)

// pubDefaults are the driver-wide defaults of one kind of publication.
type pubDefaults struct {
	termLength, mtu, termWindow int
}

func (c *Conductor) ipcDefaults() pubDefaults {
	return pubDefaults{termLength: c.cfg.IpcTermBufferLength, mtu: c.cfg.IpcMTULength, termWindow: c.cfg.IpcPublicationTermWindowLength}
}

func (c *Conductor) networkDefaults() pubDefaults {
	return pubDefaults{termLength: c.cfg.TermBufferLength, mtu: c.cfg.MTULength, termWindow: c.cfg.PublicationTermWindowLength}
}

func (c *Conductor) parsePubParams(u *uri.URI, d pubDefaults) (pubParams, error) {
	p := pubParams{}
	tl, err := u.Size("term-length", int64(d.termLength))
	if err != nil {
		return p, err
	}
	if err := logbuffer.CheckTermLength(int(tl)); err != nil {
		return p, u.Errorf("term-length", "%v", err)
	}
	p.termLength = int(tl)
	mtu, err := u.Size("mtu", int64(d.mtu))
	if err != nil {
		return p, err
	}
	if mtu <= 32 || mtu > 65504 || mtu%32 != 0 {
		return p, u.Errorf("mtu", "%d must be greater than 32, at most 65504 and a multiple of 32", mtu)
	}
	if int(mtu) > p.termLength/8 {
		// Aeron bounds the MTU by the largest frame a term takes.
		return p, u.Errorf("mtu", "%d is larger than term-length/8 (%d)", mtu, p.termLength/8)
	}
	p.mtu = int(mtu)
	init, hasInit, err := u.Int32("init-term-id", 0)
	if err != nil {
		return p, err
	}
	termID, hasTermID, err := u.Int32("term-id", 0)
	if err != nil {
		return p, err
	}
	termOffset, hasTermOffset, err := u.Int32("term-offset", 0)
	if err != nil {
		return p, err
	}
	if hasInit || hasTermID || hasTermOffset {
		if !(hasInit && hasTermID && hasTermOffset) {
			return p, u.Errorf("init-term-id", "init-term-id, term-id and term-offset must be given together")
		}
		if d := int64(termID) - int64(init); d < 0 || d > math.MaxInt32 {
			return p, u.Errorf("term-id", "%d is before init-term-id %d", termID, init)
		}
		if termOffset < 0 || int(termOffset) > p.termLength || termOffset%32 != 0 {
			return p, u.Errorf("term-offset", "%d must be a multiple of 32 within the term", termOffset)
		}
		p.hasStart, p.initTermID, p.termID, p.termOffset = true, init, termID, termOffset
	} else {
		p.initTermID = rand32()
	}
	if s, ok, err := u.Int32("session-id", 0); err != nil {
		return p, err
	} else if ok {
		p.sessionID, p.hasSession = s, true
	}
	if p.linger, err = u.Duration("linger", c.cfg.PublicationLingerTimeout); err != nil {
		return p, err
	}
	if p.sparse, err = u.Bool("sparse", c.cfg.TermBufferSparseFile); err != nil {
		return p, err
	}
	if p.signalEOS, err = u.Bool("eos", true); err != nil {
		return p, err
	}
	if p.ssc, err = u.Bool("ssc", c.cfg.SpiesSimulateConnection); err != nil {
		return p, err
	}
	w, err := u.Size("pub-wnd", int64(d.termWindow))
	if err != nil {
		return p, err
	}
	p.termWindow = int(w)
	mode, err := u.ControlMode()
	if err != nil {
		return p, err
	}
	p.isResponse = mode == uri.ControlModeResponse
	p.responseCorrelationID = noResponse
	if id, prototype, ok, err := u.ResponseCorrelation(); err != nil {
		return p, err
	} else if prototype {
		p.responseCorrelationID = prototypeResponse
	} else if ok {
		if id < noResponse {
			return p, u.Errorf(uri.ResponseCorrelationID, "%d: must be -1 or more, or prototype", id)
		}
		p.responseCorrelationID = id
	}
	return p, nil
}

func rand32() int32 { return int32(randSource.Uint32()) }

func (c *Conductor) onAddPublication(m command.PublicationMessage, exclusive bool) error {
	u, err := parseChannel(m.Channel)
	if err != nil {
		return err
	}
	if u.Media != uri.IPC {
		return c.onAddNetworkPublication(m, exclusive, u)
	}
	params, err := c.parsePubParams(u, c.ipcDefaults())
	if err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	cl := c.client(m.ClientID)
	if cl == nil {
		return coded(command.ErrGenericError, "no counters left to register client %d", m.ClientID)
	}
	var pub *ipcPublication
	if !exclusive {
		for _, p := range c.publications {
			if p.state == pubActive && !p.exclusive && p.streamID == m.StreamID && (!params.hasSession || p.sessionID == params.sessionID) &&
				p.params.responseCorrelationID == params.responseCorrelationID {
				if err := p.compatible(params, u); err != nil {
					return err
				}
				pub = p
				break
			}
		}
	}
	if params.hasSession {
		for _, p := range c.publications {
			if p != pub && p.state == pubActive && p.streamID == m.StreamID && p.sessionID == params.sessionID {
				return coded(command.ErrGenericError, "existing publication has clashing session-id %d on stream %d", params.sessionID, m.StreamID)
			}
		}
	}
	if pub == nil {
		pub, err = c.newIPCPublication(m.CorrelationID, m.ClientID, m.StreamID, u.String(), exclusive, params)
		if err != nil {
			return err
		}
		c.answerIPCRequest(pub)
	}
	pub.refCount++
	cl.publications = append(cl.publications, &pubLink{registrationID: m.CorrelationID, pub: pub})
	typ := command.OnPublicationReady
	if exclusive {
		typ = command.OnExclusivePublicationReady
	}
	n, err := command.EncodePublicationReady(c.scratch, m.CorrelationID, pub.registrationID, pub.sessionID, pub.streamID,
		pub.pubLmt.ID(), counters.NullCounterID, pub.logPath)
	c.transmit(typ, n, err)
	if pub.refCount == 1 {
		for _, s := range c.subscriptions {
			if s.matches(pub) {
				c.link(s, pub)
			}
		}
	}
	return nil
}

// answerIPCRequest: an IPC publication whose response-correlation-id names
// a request publication is that request's response; the requester's
// response subscription takes its session, and so links to it below
// (DriverConductor.findAndUpdateResponseIpcSubscription).
func (c *Conductor) answerIPCRequest(rsp *ipcPublication) {
	if rsp.params.responseCorrelationID < 0 {
		return
	}
	for _, req := range c.publications {
		if req.registrationID != rsp.params.responseCorrelationID {
			continue
		}
		for _, s := range c.subscriptions {
			if s.registrationID == req.params.responseCorrelationID && s.endpoint == nil && !s.spy {
				s.sessionID, s.hasSession = rsp.sessionID, true
				return
			}
		}
		return
	}
}

func (p *ipcPublication) compatible(params pubParams, u *uri.URI) error {
	return compatibleParams(p.params, params, u)
}

func (c *Conductor) newIPCPublication(registrationID, clientID int64, streamID int32, channel string, exclusive bool, params pubParams) (*ipcPublication, error) {
	sessionID := params.sessionID
	if !params.hasSession {
		sessionID = c.allocateSessionID(streamID)
	}
	if err := os.MkdirAll(c.publicationsDir(), 0o700); err != nil {
		return nil, coded(command.ErrGenericError, "create %s: %v", c.publicationsDir(), err)
	}
	path := filepath.Join(c.publicationsDir(), strconv.FormatInt(registrationID, 10)+".logbuffer")
	log, err := logbuffer.CreateLog(path, params.termLength, c.cfg.FilePageSize, params.sparse)
	if err != nil {
		return nil, coded(command.ErrStorageSpace, "create log for %s: %v", channel, err)
	}
	window := params.termLength / 2
	if params.termWindow > 0 && params.termWindow < window {
		window = params.termWindow
	}
	typ := uint8(logbuffer.TypeConcurrentPublication)
	if exclusive {
		typ = logbuffer.TypeExclusivePublication
	}
	log.Metadata().Initialise(logbuffer.Params{
		CorrelationID: registrationID, InitialTermID: params.initTermID, TermLength: params.termLength,
		PageSize: c.cfg.FilePageSize, MTU: params.mtu, SessionID: sessionID, StreamID: streamID,
		PublicationWindow: window, MaxResend: c.cfg.MaxResend, EntityTag: -1, ResponseCorrelationID: -1,
		LingerTimeoutNs: int64(params.linger), UntetheredWindowLimitNs: int64(c.cfg.UntetheredWindowLimitTimeout),
		UntetheredRestingNs: int64(c.cfg.UntetheredRestingTimeout), UntetheredLingerNs: int64(c.cfg.UntetheredWindowLimitTimeout),
		Sparse: params.sparse, SignalEOS: params.signalEOS, SpiesSimulateConnection: params.ssc,
		Tether: c.cfg.TetherSubscriptions, Rejoin: c.cfg.RejoinStream, Reliable: true, Type: typ,
		HasStart: params.hasStart, TermID: params.termID, TermOffset: params.termOffset,
	})
	bits := logbuffer.PositionBitsToShift(params.termLength)
	start := int64(0)
	if params.hasStart {
		start = logbuffer.ComputePosition(params.termID, params.termOffset, bits, params.initTermID)
	}
	posName := counters.NamePublisherPosConcurrent
	if exclusive {
		posName = counters.NamePublisherPosExclusive
	}
	pubPos, err := c.ctx.Counters.AllocateStream(counters.TypePublisherPosition, posName, registrationID, clientID, sessionID, streamID, channel, "")
	if err != nil {
		log.Close()
		os.Remove(path)
		return nil, coded(command.ErrGenericError, "allocate pub-pos: %v", err)
	}
	pubLmt, err := c.ctx.Counters.AllocateStream(counters.TypePublisherLimit, "pub-lmt", registrationID, clientID, sessionID, streamID, channel, "")
	if err != nil {
		c.ctx.Counters.Free(pubPos.ID())
		log.Close()
		os.Remove(path)
		return nil, coded(command.ErrGenericError, "allocate pub-lmt: %v", err)
	}
	pubPos.Set(start)
	pubLmt.Set(start)
	p := &ipcPublication{
		registrationID: registrationID, sessionID: sessionID, streamID: streamID, channel: channel,
		exclusive: exclusive, params: params, log: log, logPath: path, pubPos: pubPos, pubLmt: pubLmt,
		bits: bits, termWindow: int64(window), tripGain: int64(window / 8), tripLimit: start,
		cleanPosition: start, consumerPosition: start,
		blocked: blockWatch{lastPosition: start, lastChangeNs: c.ctx.NanoClock()},
	}
	c.publications = append(c.publications, p)
	c.log.Debug("ipc publication added", "registration", registrationID, "session", sessionID, "stream", streamID, "channel", channel)
	return p, nil
}

// allocateSessionID picks the next session id not reserved and not in use
// on the stream.
func (c *Conductor) allocateSessionID(streamID int32) int32 {
	low, high := c.cfg.PublicationReservedSessionIDLow, c.cfg.PublicationReservedSessionIDHigh
	for {
		id := c.nextSessionID
		c.nextSessionID++
		if id >= low && id <= high {
			continue
		}
		inUse := false
		for _, p := range c.publications {
			if p.streamID == streamID && p.sessionID == id && p.state != pubDone {
				inUse = true
				break
			}
		}
		for _, p := range c.netPubs {
			if p.streamID == streamID && p.sessionID == id {
				inUse = true
				break
			}
		}
		if !inUse {
			return id
		}
	}
}

func (c *Conductor) onRemovePublication(m command.RemovePublicationMessage) error {
	cl := c.clients[m.ClientID]
	if cl != nil {
		for i, link := range cl.publications {
			if link.registrationID == m.RegistrationID || link.publicationID() == m.RegistrationID {
				cl.publications = append(cl.publications[:i], cl.publications[i+1:]...)
				c.release(link)
				n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
				c.transmit(command.OnOperationSuccess, n, err)
				return nil
			}
		}
	}
	return coded(command.ErrUnknownPublication, "unknown publication registration id %d for client %d", m.RegistrationID, m.ClientID)
}

// releasePublication drops one reference; the last one starts the end of
// the stream: the end-of-stream position is published and subscribers
// drain up to it before the images go away.
func (c *Conductor) releasePublication(p *ipcPublication) {
	p.refCount--
	if p.refCount > 0 || p.state != pubActive {
		return
	}
	producer := logbuffer.ProducerPosition(p.log.Meta())
	logbuffer.SetEndOfStreamPosition(p.log.Meta(), producer)
	p.pubLmt.Set(producer)
	p.state = pubDraining
}

// updatePublication sets the publisher's position and limit from its
// subscribers (aeron_ipc_publication_update_pub_pos_and_lmt).
func (c *Conductor) updatePublication(p *ipcPublication, nowNs int64) int {
	if p.state != pubActive {
		return 0
	}
	producer := logbuffer.ProducerPosition(p.log.Meta())
	p.pubPos.Set(producer)
	work := 0
	active := false
	minSub, maxSub := int64(math.MaxInt64), p.consumerPosition
	for _, l := range p.subscribers {
		if l.state != subActive {
			continue
		}
		active = true
		pos := l.position.Get()
		minSub = min(minSub, pos)
		maxSub = max(maxSub, pos)
	}
	if active {
		proposed := minSub + p.termWindow
		if proposed > p.tripLimit {
			logbuffer.CleanTo(p.log, &p.cleanPosition, minSub)
			p.pubLmt.Set(proposed)
			p.tripLimit = proposed + p.tripGain
			work++
		}
		p.consumerPosition = maxSub
	} else if p.pubLmt.Get() > p.consumerPosition {
		p.pubLmt.Set(p.consumerPosition)
		p.tripLimit = p.consumerPosition
		logbuffer.CleanTo(p.log, &p.cleanPosition, p.consumerPosition)
	}
	return work
}

// checkPublications runs the slower per-publication timers: unblocking,
// untethered subscribers, draining and linger.
func (c *Conductor) checkPublications(nowNs int64) int {
	work := 0
	for i := 0; i < len(c.publications); {
		p := c.publications[i]
		switch p.state {
		case pubActive:
			if !p.exclusive {
				work += c.unblock(&p.blocked, p.log, p.bits, p.consumerPosition, nowNs)
			}
			work += c.checkUntethered(p, nowNs)
		case pubDraining:
			if c.drained(p) {
				for _, l := range p.subscribers {
					c.notifyUnavailable(p, l)
					c.ctx.Counters.Free(l.position.ID())
				}
				p.subscribers = nil
				logbuffer.SetIsConnected(p.log.Meta(), false)
				p.state = pubLinger
				p.lingerDeadlineNs = nowNs + int64(p.params.linger)
				work++
			}
		case pubLinger:
			if nowNs >= p.lingerDeadlineNs {
				c.ctx.Counters.Free(p.pubPos.ID())
				c.ctx.Counters.Free(p.pubLmt.ID())
				p.close()
				p.state = pubDone
				c.publications = append(c.publications[:i], c.publications[i+1:]...)
				work++
				continue
			}
		}
		i++
	}
	return work
}

func (c *Conductor) drained(p *ipcPublication) bool {
	eos := logbuffer.EndOfStreamPosition(p.log.Meta())
	for _, l := range p.subscribers {
		if l.state == subActive && l.position.Get() < eos {
			return false
		}
	}
	return true
}

// checkUntethered moves untethered subscribers that fell a window behind
// out of the stream, rests them, and lets them rejoin.
func (c *Conductor) checkUntethered(p *ipcPublication, nowNs int64) int {
	work := 0
	limit := p.consumerPosition - p.termWindow + p.termWindow/4
	for _, l := range p.subscribers {
		if l.sub.tether {
			continue
		}
		switch l.state {
		case subActive:
			if l.position.Get() > limit {
				l.lastNs = nowNs
			} else if nowNs-l.lastNs > int64(c.cfg.UntetheredWindowLimitTimeout) {
				c.notifyUnavailable(p, l)
				l.state, l.lastNs = subLinger, nowNs
				work++
			}
		case subLinger:
			if nowNs-l.lastNs > int64(c.cfg.UntetheredWindowLimitTimeout) {
				l.state, l.lastNs = subResting, nowNs
			}
		case subResting:
			if nowNs-l.lastNs > int64(c.cfg.UntetheredRestingTimeout) {
				l.position.Set(c.joinPosition(p))
				l.state, l.lastNs = subActive, nowNs
				c.notifyAvailable(p, l)
				work++
			}
		}
	}
	return work
}

func (p *ipcPublication) close() {
	if p.log != nil {
		p.log.Close()
		os.Remove(p.logPath)
		p.log = nil
	}
}

func (p *ipcPublication) String() string {
	return fmt.Sprintf("ipc publication %d session %d stream %d", p.registrationID, p.sessionID, p.streamID)
}
