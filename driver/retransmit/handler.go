package retransmit

// Defaults and limits of the settings (Configuration.java 1.51,
// aeron_retransmit_handler.h).
const (
	DefaultDelayNs  = 0
	DefaultLingerNs = 10_000_000
	// DefaultMaxResend is aeron.max.resend's default.
	DefaultMaxResend = 16
	// MaxMaxResend is the largest pool a group channel may have.
	MaxMaxResend = 256
)

// dataHeaderLength is the smallest frame: a NAK starting later in the term
// cannot name one (aeron_retransmit_handler_is_invalid).
const dataHeaderLength = 32

// Sender performs a resend of [termOffset, termOffset+length) of termID.
type Sender interface {
	Resend(termID, termOffset, length int32)
}

// Options configure a Handler.
type Options struct {
	DelayNs   int64 // aeron.retransmit.unicast.delay (0)
	LingerNs  int64 // aeron.retransmit.unicast.linger (10ms)
	Group     bool  // multicast/MDC: MaxResend slots; unicast: 1 slot
	MaxResend int   // aeron.max.resend / URI max-resend (16); 0 means the default, clamped to [1, 256]
}

// Counters the handler bumps. The driver's system counters are shared
// atomics; a small value type implementing this is boxed once, in New.
type Counters interface {
	// RetransmitOverflow counts a NAK dropped because every action of a
	// group channel's pool was busy ("Retransmit Pool Overflow count").
	RetransmitOverflow()
}

type state uint8

const (
	inactive state = iota
	delayed
	lingering
)

type action struct {
	expiryNs   int64
	termID     int32
	termOffset int32
	length     int32
	state      state
}

// covers reports whether a NAK at termID/termOffset falls inside the
// action's range, which makes it a repeat of a NAK already handled.
func (a *action) covers(termID, termOffset int32) bool {
	return a.termID == termID && a.termOffset <= termOffset && termOffset-a.termOffset < a.length
}

// Handler tracks one publication's retransmit actions.
type Handler struct {
	pool     []action
	active   int
	group    bool
	delayNs  int64
	lingerNs int64
	counters Counters
}

// New makes a handler with its action pool. counters may be nil.
func New(opts Options, counters Counters) *Handler {
	slots := 1
	if opts.Group {
		slots = opts.MaxResend
		if slots == 0 {
			slots = DefaultMaxResend
		}
		slots = min(max(slots, 1), MaxMaxResend)
	}
	return &Handler{
		pool:     make([]action, slots),
		group:    opts.Group,
		delayNs:  max(opts.DelayNs, 0),
		lingerNs: max(opts.LingerNs, 0),
		counters: counters,
	}
}

// Active is the number of actions delayed or lingering.
func (h *Handler) Active() int { return h.active }

// OnNak handles a NAK for termID/termOffset/length: ignores it if an
// active action covers it, otherwise schedules or performs (delay 0) the
// resend through s, capping length with maxRetransmit (the flow control's
// MaxRetransmissionLength, computed by the caller) and the term end.
//
// NAKs naming no data (length ≤ 0, an offset outside the term or too close
// to its end for a frame) are ignored; the caller validates and counts
// them as invalid packets, as Aeron's sender does, before calling.
func (h *Handler) OnNak(termID, termOffset, length int32, termLength int, maxRetransmit int, nowNs int64, s Sender) {
	if length <= 0 || termOffset < 0 || int(termOffset) > termLength-dataHeaderLength {
		return
	}
	n := min(int(length), maxRetransmit, termLength-int(termOffset))
	if n <= 0 {
		return
	}
	a := h.take(termID, termOffset)
	if a == nil {
		return
	}
	a.termID, a.termOffset, a.length = termID, termOffset, int32(n)
	if h.delayNs == 0 {
		s.Resend(termID, termOffset, a.length)
		a.state, a.expiryNs = lingering, nowNs+h.lingerNs
		return
	}
	a.state, a.expiryNs = delayed, nowNs+h.delayNs
}

// take finds the action for a NAK at termID/termOffset, or nil when the
// NAK repeats an active one or a group's pool is full
// (scanForAvailableRetransmit).
func (h *Handler) take(termID, termOffset int32) *action {
	if h.active == 0 {
		h.active++
		return &h.pool[0]
	}
	var free *action
	for i := range h.pool {
		a := &h.pool[i]
		if a.state == inactive {
			if free == nil {
				free = a
			}
			continue
		}
		if a.covers(termID, termOffset) {
			return nil
		}
		if !h.group {
			// The single unicast action is replaced, and stays counted.
			free = a
		}
	}
	if !h.group {
		return free
	}
	if free == nil {
		if h.counters != nil {
			h.counters.RetransmitOverflow()
		}
		return nil
	}
	h.active++
	return free
}

// ProcessTimeouts runs delayed resends whose time came and frees lingering
// slots. An action is due once nowNs is past its expiry; times are compared
// by difference, so a wrapping clock is fine.
func (h *Handler) ProcessTimeouts(nowNs int64, s Sender) {
	if h.active == 0 {
		return
	}
	for i := range h.pool {
		a := &h.pool[i]
		if a.state == inactive || a.expiryNs-nowNs >= 0 {
			continue
		}
		if a.state == delayed {
			s.Resend(a.termID, a.termOffset, a.length)
			a.state, a.expiryNs = lingering, nowNs+h.lingerNs
			continue
		}
		a.state = inactive
		h.active--
	}
}
