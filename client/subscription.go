package client

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// Header is a view of the frame header of the fragment being delivered;
// valid only during the handler call.
type Header = logbuffer.Header

// FragmentHandler receives one fragment's payload in place:
// buf[offset:offset+length]. It must not keep buf after returning.
type FragmentHandler = logbuffer.FragmentHandler

// SubscriptionOption configures AddSubscription.
type SubscriptionOption func(*Subscription)

// WithImageHandlers sets this subscription's image callbacks. They run on
// the conductor goroutine with the client's lock held: they must return
// promptly and must not call the client's Add or Close methods.
func WithImageHandlers(onAvailable, onUnavailable func(*Image)) SubscriptionOption {
	return func(s *Subscription) { s.onAvailable, s.onUnavailable = onAvailable, onUnavailable }
}

// Subscription receives the images (one per publisher session) of a
// channel and stream.
type Subscription struct {
	client         *Client
	channel        string
	streamID       int32
	registrationID int64
	onAvailable    func(*Image)
	onUnavailable  func(*Image)

	// images is replaced, never modified, so pollers read it without a
	// lock (copy on write, as Aeron's Subscription does).
	images    atomic.Pointer[[]*Image]
	next      int
	closed    atomic.Bool
	closeDone bool
}

// AddSubscription adds a subscription and waits for the driver.
func (c *Client) AddSubscription(ctx context.Context, channel string, streamID int32, opts ...SubscriptionOption) (*Subscription, error) {
	s := &Subscription{client: c, channel: channel, streamID: streamID,
		onAvailable: c.cfg.OnAvailableImage, onUnavailable: c.cfg.OnUnavailableImage}
	for _, o := range opts {
		o(s)
	}
	empty := []*Image{}
	s.images.Store(&empty)
	// Register before sending: images may be announced right after the
	// SUBSCRIPTION_READY, in the same conductor cycle.
	p, corr, err := c.send(command.AddSubscription, func(dst []byte, corr int64) (int, error) {
		s.registrationID = corr
		c.subs[corr] = s
		return command.EncodeAddSubscription(dst, c.clientID, corr, streamID, channel)
	})
	if err != nil {
		return nil, fmt.Errorf("add subscription %s stream %d: %w", channel, streamID, err)
	}
	if err := c.await(ctx, p, corr); err != nil {
		c.mu.Lock()
		delete(c.subs, corr)
		c.mu.Unlock()
		return nil, fmt.Errorf("add subscription %s stream %d: %w", channel, streamID, err)
	}
	return s, nil
}

// Channel is the subscription's channel URI.
func (s *Subscription) Channel() string { return s.channel }

// StreamID is the subscription's stream id.
func (s *Subscription) StreamID() int32 { return s.streamID }

// RegistrationID is the driver's id for the subscription.
func (s *Subscription) RegistrationID() int64 { return s.registrationID }

// Images returns the current images (do not modify the slice).
func (s *Subscription) Images() []*Image { return *s.images.Load() }

// ImageCount is the number of images.
func (s *Subscription) ImageCount() int { return len(*s.images.Load()) }

// ImageBySessionID returns the image of a session, or nil.
func (s *Subscription) ImageBySessionID(sessionID int32) *Image {
	for _, img := range *s.images.Load() {
		if img.sessionID == sessionID {
			return img
		}
	}
	return nil
}

// IsConnected reports whether the subscription has an open image.
func (s *Subscription) IsConnected() bool {
	for _, img := range *s.images.Load() {
		if !img.IsClosed() {
			return true
		}
	}
	return false
}

// IsClosed reports whether the subscription was closed.
func (s *Subscription) IsClosed() bool { return s.closed.Load() }

// rotate returns the images and the one to poll first, moving the start
// on each call so no image starves.
func (s *Subscription) rotate() ([]*Image, int) {
	images := *s.images.Load()
	if len(images) == 0 {
		return nil, 0
	}
	if s.next >= len(images) {
		s.next = 0
	}
	start := s.next
	s.next++
	return images, start
}

// Poll delivers up to limit fragments from the images, starting with a
// different image each call so none starves. Use it from one goroutine.
func (s *Subscription) Poll(handler FragmentHandler, limit int) int {
	images, start := s.rotate()
	n := len(images)
	fragments := 0
	for i := 0; i < n && fragments < limit; i++ {
		fragments += images[(start+i)%n].Poll(handler, limit-fragments)
	}
	return fragments
}

// ControlledPoll is Poll with a handler that can stop early (Aeron's
// ControlledFragmentHandler).
func (s *Subscription) ControlledPoll(handler ControlledFragmentHandler, limit int) int {
	images, start := s.rotate()
	n := len(images)
	fragments := 0
	for i := 0; i < n && fragments < limit; i++ {
		fragments += images[(start+i)%n].ControlledPoll(handler, limit-fragments)
	}
	return fragments
}

// Close removes the subscription from the driver and closes its images.
func (s *Subscription) Close() error {
	c := s.client
	c.mu.Lock()
	if s.closeDone {
		c.mu.Unlock()
		return nil
	}
	s.closeDone = true
	wasClosed := c.closed
	delete(c.subs, s.registrationID)
	s.closeLocked()
	c.mu.Unlock()
	if wasClosed {
		return nil
	}
	p, corr, err := c.send(command.RemoveSubscription, func(dst []byte, corr int64) (int, error) {
		return command.EncodeRemoveSubscription(dst, c.clientID, corr, s.registrationID)
	})
	if err != nil {
		return fmt.Errorf("close subscription %d: %w", s.registrationID, err)
	}
	if err := c.await(context.Background(), p, corr); err != nil {
		return fmt.Errorf("close subscription %d: %w", s.registrationID, err)
	}
	return nil
}

// closeLocked closes every image; their logs linger.
func (s *Subscription) closeLocked() {
	s.closed.Store(true)
	old := *s.images.Load()
	empty := []*Image{}
	s.images.Store(&empty)
	for _, img := range old {
		s.client.lingerLocked(img.log, &img.guard)
	}
}

func (s *Subscription) addImageLocked(img *Image) {
	old := *s.images.Load()
	next := make([]*Image, 0, len(old)+1)
	next = append(next, old...)
	next = append(next, img)
	s.images.Store(&next)
	if s.onAvailable != nil {
		s.onAvailable(img)
	}
}

func (s *Subscription) removeImageLocked(correlationID int64) {
	old := *s.images.Load()
	next := make([]*Image, 0, len(old))
	var gone *Image
	for _, img := range old {
		if img.correlationID == correlationID {
			gone = img
			continue
		}
		next = append(next, img)
	}
	if gone == nil {
		return
	}
	s.images.Store(&next)
	s.client.lingerLocked(gone.log, &gone.guard)
	if s.onUnavailable != nil {
		s.onUnavailable(gone)
	}
}

// ControlAction is a ControlledFragmentHandler's verdict.
type ControlAction int

// Controlled poll actions (ControlledFragmentHandler.Action).
const (
	// Abort: do not consume this fragment; poll it again next time.
	Abort ControlAction = iota + 1
	// Break: consume this fragment and stop.
	Break
	// Commit: consume and continue.
	Commit
	// Continue: consume and continue.
	Continue
)

// ControlledFragmentHandler is a FragmentHandler that steers the poll.
type ControlledFragmentHandler func(buf shm.AtomicBuffer, offset, length int, header *Header) ControlAction

// Image is one publisher session's stream as seen by a subscription.
type Image struct {
	sub            *Subscription
	log            *logbuffer.LogBuffers
	meta           logbuffer.Meta
	subPos         shm.AtomicBuffer
	correlationID  int64
	sessionID      int32
	sourceIdentity string
	joinPosition   int64
	termMask       int64
	bits           uint
	initialTermID  int32
	header         Header
	guard
}

func newImage(s *Subscription, log *logbuffer.LogBuffers, m command.ImageBuffersReady, values shm.AtomicBuffer) *Image {
	tl := log.TermLength()
	meta := log.Metadata()
	img := &Image{
		sub: s, log: log, meta: meta,
		subPos:        values.Slice(int(m.SubscriberPositionID)*counters.ValueLength, 8),
		correlationID: m.CorrelationID, sessionID: m.SessionID, sourceIdentity: string(m.SourceIdentity),
		termMask: int64(tl - 1), bits: logbuffer.PositionBitsToShift(tl), initialTermID: meta.InitialTermID(),
	}
	img.joinPosition = img.subPos.GetInt64Volatile(0)
	img.header = Header{InitialTermID: img.initialTermID, BitsToShift: img.bits}
	return img
}

// SessionID is the publisher's session id.
func (i *Image) SessionID() int32 { return i.sessionID }

// CorrelationID is the driver's id for this image.
func (i *Image) CorrelationID() int64 { return i.correlationID }

// SourceIdentity is where the stream comes from ("aeron:ipc" or an address).
func (i *Image) SourceIdentity() string { return i.sourceIdentity }

// JoinPosition is the position the image started at.
func (i *Image) JoinPosition() int64 { return i.joinPosition }

// Subscription is the image's subscription.
func (i *Image) Subscription() *Subscription { return i.sub }

// IsClosed reports whether the image went away or was closed.
func (i *Image) IsClosed() bool { return i.closed.Load() }

// Position is how far this subscriber has consumed.
func (i *Image) Position() int64 {
	if !i.enter() {
		return i.joinPosition
	}
	defer i.leave()
	return i.subPos.GetInt64Volatile(0)
}

// IsEndOfStream reports whether the publisher closed and everything up to
// its final position was consumed.
func (i *Image) IsEndOfStream() bool {
	if !i.enter() {
		return true
	}
	defer i.leave()
	return i.subPos.GetInt64Volatile(0) >= i.meta.EndOfStreamPosition()
}

// Poll delivers up to limit fragments from this image and advances the
// subscriber position. Use it from one goroutine at a time.
func (i *Image) Poll(handler FragmentHandler, limit int) int {
	if !i.enter() {
		return 0
	}
	defer i.leave()
	pos := i.subPos.GetInt64Volatile(0)
	offset := int(pos & i.termMask)
	term := i.log.Term(logbuffer.IndexByPosition(pos, i.bits))
	fragments, reached := logbuffer.Read(term, offset, handler, limit, &i.header)
	if reached > offset {
		i.subPos.PutInt64Ordered(0, pos+int64(reached-offset))
	}
	return fragments
}

// ControlledPoll is Poll with a handler that may stop early or ask for a
// fragment again (Image.controlledPoll).
func (i *Image) ControlledPoll(handler ControlledFragmentHandler, limit int) int {
	if !i.enter() {
		return 0
	}
	defer i.leave()
	pos := i.subPos.GetInt64Volatile(0)
	start := int(pos & i.termMask)
	term := i.log.Term(logbuffer.IndexByPosition(pos, i.bits))
	capacity := term.Capacity()
	offset := start
	fragments := 0
	i.header.Buf = term
	for fragments < limit && offset < capacity {
		length := int(logbuffer.FrameLengthVolatile(term, offset))
		if length <= 0 {
			break
		}
		aligned := logbuffer.Align(length)
		if aligned > capacity-offset || length < logbuffer.DataHeaderLength {
			break
		}
		if logbuffer.FrameType(term, offset) == logbuffer.HdrTypePad {
			offset += aligned
			continue
		}
		i.header.Offset = offset
		action := handler(term, offset+logbuffer.DataHeaderLength, length-logbuffer.DataHeaderLength, &i.header)
		if action == Abort {
			break
		}
		fragments++
		offset += aligned
		if action == Break {
			break
		}
	}
	if offset > start {
		i.subPos.PutInt64Ordered(0, pos+int64(offset-start))
	}
	return fragments
}

// BlockHandler receives a block of whole frames, headers included:
// buf[offset:offset+length] from the term of termID of a session.
type BlockHandler func(buf shm.AtomicBuffer, offset, length int, sessionID, termID int32)

// BlockPoll hands each image's next run of complete frames (up to
// blockLengthLimit bytes, within one term) to handler in one call, as
// Aeron's Subscription.blockPoll does for archiving and bridging. It
// returns the bytes consumed.
func (s *Subscription) BlockPoll(handler BlockHandler, blockLengthLimit int) int {
	total := 0
	for _, img := range *s.images.Load() {
		total += img.BlockPoll(handler, blockLengthLimit)
	}
	return total
}

// BlockPoll delivers the image's next run of complete frames, at most
// blockLengthLimit bytes, and returns its length (Image.blockPoll,
// TermBlockScanner.java: a padding frame ends the block, and is consumed
// alone when it comes first).
func (i *Image) BlockPoll(handler BlockHandler, blockLengthLimit int) int {
	if !i.enter() {
		return 0
	}
	defer i.leave()
	pos := i.subPos.GetInt64Volatile(0)
	start := int(pos & i.termMask)
	term := i.log.Term(logbuffer.IndexByPosition(pos, i.bits))
	limit := min(start+max(blockLengthLimit, 0), term.Capacity())
	offset := start
	for offset < limit {
		length := int(logbuffer.FrameLengthVolatile(term, offset))
		if length <= 0 {
			break
		}
		aligned := logbuffer.Align(length)
		if logbuffer.FrameType(term, offset) == logbuffer.HdrTypePad {
			if offset == start {
				offset += aligned
			}
			break
		}
		if offset+aligned > limit {
			break
		}
		offset += aligned
	}
	n := offset - start
	if n > 0 {
		termID := logbuffer.TermIDFromPosition(pos, i.bits, i.initialTermID)
		handler(term, start, n, i.sessionID, termID)
		i.subPos.PutInt64Ordered(0, pos+int64(n))
	}
	return n
}
