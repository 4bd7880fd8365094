package client

import (
	"context"
	"fmt"
	"sync"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// BufferClaim is space claimed in a publication's log by TryClaim: write
// the message into Buffer, then Commit (or Abort).
type BufferClaim = logbuffer.BufferClaim

// Publication offers messages on a channel and stream. A concurrent
// publication (AddPublication) may be used from several goroutines; an
// exclusive one (AddExclusivePublication) from one at a time.
type Publication struct {
	client         *Client
	channel        string
	streamID       int32
	sessionID      int32
	registrationID int64
	originalID     int64
	exclusive      bool

	log      *logbuffer.LogBuffers
	meta     logbuffer.Meta
	limit    shm.AtomicBuffer // the publisher limit counter's value
	appender *logbuffer.Appender
	exclApp  *logbuffer.ExclusiveAppender
	termLen  int
	bits     uint
	maxPay   int
	maxMsg   int
	maxPos   int64
	guard
	closeOnce bool

	// scratch gathers OfferV's pieces when they need fragmenting; vmu
	// serialises its use between goroutines.
	vmu     sync.Mutex
	scratch []byte
}

// AddPublication adds a concurrent publication and waits for the driver.
func (c *Client) AddPublication(ctx context.Context, channel string, streamID int32) (*Publication, error) {
	return c.addPublication(ctx, channel, streamID, false)
}

// AddExclusivePublication adds a publication with its own session, for one
// publisher goroutine at a time.
func (c *Client) AddExclusivePublication(ctx context.Context, channel string, streamID int32) (*Publication, error) {
	return c.addPublication(ctx, channel, streamID, true)
}

func (c *Client) addPublication(ctx context.Context, channel string, streamID int32, exclusive bool) (*Publication, error) {
	typ := command.AddPublication
	if exclusive {
		typ = command.AddExclusivePublication
	}
	p, corr, err := c.send(typ, func(dst []byte, corr int64) (int, error) {
		if exclusive {
			return command.EncodeAddExclusivePublication(dst, c.clientID, corr, streamID, channel)
		}
		return command.EncodeAddPublication(dst, c.clientID, corr, streamID, channel)
	})
	if err != nil {
		return nil, fmt.Errorf("add publication %s stream %d: %w", channel, streamID, err)
	}
	if err := c.await(ctx, p, corr); err != nil {
		return nil, fmt.Errorf("add publication %s stream %d: %w", channel, streamID, err)
	}
	ready, err := command.DecodePublicationReady(p.data)
	if err != nil {
		return nil, fmt.Errorf("add publication %s stream %d: %w", channel, streamID, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClientClosed
	}
	pl, ok := c.pubs[ready.RegistrationID]
	if !ok {
		log, err := logbuffer.MapLog(string(ready.LogFileName))
		if err != nil {
			return nil, fmt.Errorf("add publication %s stream %d: map log: %w", channel, streamID, err)
		}
		pl = &publicationLog{log: log}
		c.pubs[ready.RegistrationID] = pl
	}
	log := pl.log
	tl := log.TermLength()
	pub := &Publication{
		client: c, channel: channel, streamID: ready.StreamID, sessionID: ready.SessionID,
		registrationID: corr, originalID: ready.RegistrationID, exclusive: exclusive,
		log: log, meta: log.Metadata(),
		limit:   c.values.Slice(int(ready.PositionLimitCounterID)*counters.ValueLength, 8),
		termLen: tl, bits: logbuffer.PositionBitsToShift(tl),
		maxPay: int(log.Metadata().MTULength()) - logbuffer.DataHeaderLength,
		maxMsg: logbuffer.MaxMessageLength(tl), maxPos: logbuffer.MaxPossiblePosition(tl),
	}
	pl.users = append(pl.users, &pub.guard)
	if exclusive {
		pub.exclApp = logbuffer.NewExclusiveAppender(log)
	} else {
		pub.appender = logbuffer.NewAppender(log)
	}
	return pub, nil
}

// Channel is the publication's channel URI.
func (p *Publication) Channel() string { return p.channel }

// StreamID is the publication's stream id.
func (p *Publication) StreamID() int32 { return p.streamID }

// SessionID is the publication's session id.
func (p *Publication) SessionID() int32 { return p.sessionID }

// RegistrationID is the id of this add, which its removal names.
func (p *Publication) RegistrationID() int64 { return p.registrationID }

// OriginalRegistrationID names the log, shared by every concurrent
// publication on the same channel and stream.
func (p *Publication) OriginalRegistrationID() int64 { return p.originalID }

// IsExclusive reports whether this is an exclusive publication.
func (p *Publication) IsExclusive() bool { return p.exclusive }

// MaxPayloadLength is the largest message that fits in one frame.
func (p *Publication) MaxPayloadLength() int { return p.maxPay }

// MaxMessageLength is the largest message Offer accepts:
// min(term length / 8, 16MiB) (§2).
func (p *Publication) MaxMessageLength() int { return p.maxMsg }

// TermBufferLength is the log's term length.
func (p *Publication) TermBufferLength() int { return p.termLen }

// IsConnected reports whether a subscriber is connected (the log's
// is-connected flag, set by the driver).
func (p *Publication) IsConnected() bool {
	if !p.enter() {
		return false
	}
	defer p.leave()
	return p.meta.IsConnected()
}

// IsClosed reports whether the publication was closed.
func (p *Publication) IsClosed() bool { return p.closed.Load() }

// Position is the publication's current position (the tail).
func (p *Publication) Position() int64 {
	if !p.enter() {
		return Closed
	}
	defer p.leave()
	return p.meta.ProducerPosition(p.termLen, p.bits)
}

// PositionLimit is how far the publication may go before back pressure.
func (p *Publication) PositionLimit() int64 {
	if !p.enter() {
		return Closed
	}
	defer p.leave()
	return p.limit.GetInt64Volatile(0)
}

// Offer appends msg to the log, fragmenting it when longer than
// MaxPayloadLength. It returns the new position, or NotConnected,
// BackPressured, AdminAction (retry), Closed, MaxPositionExceeded or
// PublicationError (msg longer than MaxMessageLength).
func (p *Publication) Offer(msg []byte) int64 {
	return p.OfferReserved(msg, 0)
}

// OfferReserved is Offer with the frames' reserved value set.
func (p *Publication) OfferReserved(msg []byte, reservedValue int64) int64 {
	if !p.enter() {
		return Closed
	}
	defer p.leave()
	if r := p.checkLimit(); r < 0 {
		return r
	}
	if p.exclusive {
		return p.exclApp.Append(msg, reservedValue)
	}
	return p.appender.Append(msg, reservedValue)
}

// OfferV offers the concatenation of bufs as one message (Aeron's
// offer(DirectBufferVector[])). A message that fits one frame is gathered
// straight into the log; a longer one goes through a buffer kept by the
// publication (allocated on first use, then reused).
func (p *Publication) OfferV(bufs ...[]byte) int64 {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if !p.exclusive && total <= p.maxPay {
		var claim BufferClaim
		r := p.TryClaim(total, &claim)
		if r < 0 {
			return r
		}
		dst := claim.Buffer().Bytes()
		off := 0
		for _, b := range bufs {
			off += copy(dst[off:], b)
		}
		claim.Commit()
		return r
	}
	if total > p.maxMsg {
		return PublicationError
	}
	p.vmu.Lock()
	defer p.vmu.Unlock()
	if cap(p.scratch) < total {
		p.scratch = make([]byte, 0, max(total, 4096))
	}
	msg := p.scratch[:0]
	for _, b := range bufs {
		msg = append(msg, b...)
	}
	return p.Offer(msg)
}

// TryClaim claims length bytes (at most MaxPayloadLength) in the log for the
// caller to write in place, then Commit or Abort through claim.
func (p *Publication) TryClaim(length int, claim *BufferClaim) int64 {
	if !p.enter() {
		return Closed
	}
	defer p.leave()
	if r := p.checkLimit(); r < 0 {
		return r
	}
	if p.exclusive {
		return p.exclApp.Claim(length, claim)
	}
	return p.appender.Claim(length, claim)
}

// checkLimit returns the current position, or the reason not to append
// (Publication.offer: position < limit, else not connected or back pressured).
func (p *Publication) checkLimit() int64 {
	limit := p.limit.GetInt64Volatile(0)
	pos := p.meta.ProducerPosition(p.termLen, p.bits)
	if pos < limit {
		return pos
	}
	if pos >= p.maxPos {
		return MaxPositionExceeded
	}
	if !p.meta.IsConnected() {
		return NotConnected
	}
	return BackPressured
}

// Close removes the publication from the driver. The log stays mapped
// until the last publication sharing it closes, and then lingers.
func (p *Publication) Close() error {
	c := p.client
	c.mu.Lock()
	if p.closeOnce {
		c.mu.Unlock()
		return nil
	}
	p.closeOnce = true
	p.closed.Store(true)
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	if pl, ok := c.pubs[p.originalID]; ok {
		users := pl.users[:0]
		for _, g := range pl.users {
			if g != &p.guard {
				users = append(users, g)
			}
		}
		pl.users = users
		if len(users) == 0 {
			delete(c.pubs, p.originalID)
			c.lingerLocked(pl.log, &p.guard)
		}
	}
	c.mu.Unlock()
	pd, corr, err := c.send(command.RemovePublication, func(dst []byte, corr int64) (int, error) {
		return command.EncodeRemovePublication(dst, c.clientID, corr, p.registrationID, 0)
	})
	if err != nil {
		return fmt.Errorf("close publication %d: %w", p.registrationID, err)
	}
	if err := c.await(context.Background(), pd, corr); err != nil {
		return fmt.Errorf("close publication %d: %w", p.registrationID, err)
	}
	return nil
}
