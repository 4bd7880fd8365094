package conductor

import (
	"math/rand"
	"strconv"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

var randSource = rand.New(rand.NewSource(rand.Int63()))

// subscription is an aeron:ipc (or spy) subscription.
type subscription struct {
	registrationID int64
	clientID       int64
	streamID       int32
	channel        string
	sessionID      int32
	hasSession     bool
	tether         bool
	spy            bool

	// spyCanonical is the canonical form of the channel a spy watches.
	spyCanonical string

	// Network subscriptions only.
	endpoint  *receiveEndpoint
	reliable  bool
	rejoin    bool
	group     bool
	cc        string
	rcvWindow int
	nakDelay  int64
	// isResponse: a response subscription (control-mode=response). It
	// takes no image until a server's response setup gives it a session.
	isResponse bool
}

// wantsSession says whether the subscription takes images of a session.
func (s *subscription) wantsSession(sessionID int32) bool {
	if s.hasSession {
		return s.sessionID == sessionID
	}
	return !s.isResponse
}

func (s *subscription) matches(p *ipcPublication) bool {
	return !s.spy && p.state == pubActive && p.streamID == s.streamID && s.wantsSession(p.sessionID)
}

func (c *Conductor) onAddSubscription(m command.SubscriptionMessage) error {
	u, err := parseChannel(m.Channel)
	if err != nil {
		return err
	}
	s := &subscription{registrationID: m.CorrelationID, clientID: m.ClientID, streamID: m.StreamID, channel: string(m.Channel), spy: u.Spy}
	if sid, ok, err := u.Int32("session-id", 0); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	} else if ok {
		s.sessionID, s.hasSession = sid, true
	}
	if s.tether, err = u.Bool("tether", c.cfg.TetherSubscriptions); err != nil {
		return coded(command.ErrInvalidChannel, "%v", err)
	}
	if c.client(m.ClientID) == nil {
		return coded(command.ErrGenericError, "no counters left to register client %d", m.ClientID)
	}
	statusID := int32(-1)
	if u.Spy {
		ch, err := c.resolveUDP(u)
		if err != nil {
			return err
		}
		s.spyCanonical = ch.Canonical
	}
	if u.Media == uri.UDP && !u.Spy {
		if err := c.addNetworkSubscription(s, u, m.CorrelationID); err != nil {
			return err
		}
		statusID = s.endpoint.ep.Status.ID()
	} else if mode, _ := u.ControlMode(); mode == uri.ControlModeResponse {
		s.isResponse = true
	}
	c.subscriptions = append(c.subscriptions, s)
	n, err := command.EncodeSubscriptionReady(c.scratch, m.CorrelationID, statusID)
	c.transmit(command.OnSubscriptionReady, n, err)
	if s.endpoint != nil {
		c.linkExistingImages(s)
		return nil
	}
	if s.spy {
		for _, p := range c.netPubs {
			if s.spies(p) {
				c.linkSpy(s, p)
			}
		}
		return nil
	}
	for _, p := range c.publications {
		if s.matches(p) {
			c.link(s, p)
		}
	}
	return nil
}

// joinPosition is where a new subscriber starts: no further than any
// active subscriber, so it reads nothing they have not (aeron_ipc_publication.c).
func (c *Conductor) joinPosition(p *ipcPublication) int64 {
	pos := p.consumerPosition
	for _, l := range p.subscribers {
		if l.state == subActive {
			pos = min(pos, l.position.Get())
		}
	}
	return pos
}

// link gives a subscription an image of a publication.
func (c *Conductor) link(s *subscription, p *ipcPublication) {
	pos, ok := c.subscriberPosition(s, p.registrationID, p.sessionID, p.streamID, c.joinPosition(p))
	if !ok {
		return
	}
	l := &subscriberLink{sub: s, position: pos, lastNs: c.ctx.NanoClock()}
	p.subscribers = append(p.subscribers, l)
	// Raise the publisher limit before the publication reads as
	// connected, so that a publisher that waits for connection is not
	// then back pressured at its first offer (Aeron's drivers raise it a
	// duty cycle later).
	c.updatePublication(p, c.ctx.NanoClock())
	logbuffer.SetIsConnected(p.log.Meta(), true)
	c.notifyAvailable(p, l)
}

// subscriberPosition allocates a subscription's sub-pos on a log (an IPC
// or network publication, or an image) at its join position.
func (c *Conductor) subscriberPosition(s *subscription, registrationID int64, sessionID, streamID int32, join int64) (counters.Counter, bool) {
	pos, err := c.ctx.Counters.AllocateSubscriberPosition(s.registrationID, s.clientID, sessionID, streamID, s.channel, join)
	if err != nil {
		c.recordError(command.ErrGenericError, "allocate sub-pos for subscription "+strconv.FormatInt(s.registrationID, 10)+": "+err.Error())
		return counters.Counter{}, false
	}
	c.ctx.Counters.SetCounterReferenceID(pos.ID(), registrationID)
	pos.Set(join)
	return pos, true
}

// announceImage tells a subscription's client it has an image to read.
func (c *Conductor) announceImage(s *subscription, registrationID int64, sessionID, streamID int32, pos counters.Counter, logPath, source string) {
	n, err := command.EncodeAvailableImage(c.scratch, registrationID, sessionID, streamID, s.registrationID, pos.ID(), logPath, source)
	c.transmit(command.OnAvailableImage, n, err)
}

func (c *Conductor) notifyAvailable(p *ipcPublication, l *subscriberLink) {
	c.announceImage(l.sub, p.registrationID, p.sessionID, p.streamID, l.position, p.logPath, "aeron:ipc")
}

func (c *Conductor) notifyUnavailable(p *ipcPublication, l *subscriberLink) {
	n, err := command.EncodeUnavailableImage(c.scratch, p.registrationID, l.sub.registrationID, p.streamID, l.sub.channel)
	c.transmit(command.OnUnavailableImage, n, err)
}

func (c *Conductor) onRemoveSubscription(m command.RemoveMessage) error {
	for i, s := range c.subscriptions {
		if s.registrationID == m.RegistrationID && s.clientID == m.ClientID {
			c.removeSubscriptionAt(i)
			n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
			c.transmit(command.OnOperationSuccess, n, err)
			return nil
		}
	}
	return coded(command.ErrUnknownSubscription, "unknown subscription registration id %d for client %d", m.RegistrationID, m.ClientID)
}

// removeSubscriptionAt unlinks a subscription from every publication and
// frees its positions.
func (c *Conductor) removeSubscriptionAt(i int) {
	s := c.subscriptions[i]
	c.subscriptions = append(c.subscriptions[:i], c.subscriptions[i+1:]...)
	if s.spy {
		c.unlinkSpy(s)
		return
	}
	if s.endpoint != nil {
		c.unlinkSubscriptionFromImages(s)
		if !s.isResponse || s.hasSession {
			c.ctx.Receiver.RemoveSubscription(s.endpoint.ep, s.streamID, s.sessionID, s.hasSession)
		}
		c.releaseReceiveEndpoint(s.endpoint)
		return
	}
	for _, p := range c.publications {
		for j := 0; j < len(p.subscribers); {
			l := p.subscribers[j]
			if l.sub != s {
				j++
				continue
			}
			p.subscribers = append(p.subscribers[:j], p.subscribers[j+1:]...)
			c.ctx.Counters.Free(l.position.ID())
		}
		if len(p.subscribers) == 0 && p.log != nil {
			logbuffer.SetIsConnected(p.log.Meta(), false)
		}
	}
}
