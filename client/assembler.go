package client

import (
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// FragmentAssembler rebuilds messages a publisher fragmented over several
// frames before handing them to the delegate (FragmentAssembler.java):
// unfragmented messages pass straight through; fragments are gathered per
// session in a reused buffer, so after warm-up it does not allocate.
type FragmentAssembler struct {
	delegate FragmentHandler
	initial  int
	sessions map[int32]*assembly
	handler  FragmentHandler
}

type assembly struct {
	buf       []byte
	nextTerm  int32
	nextOff   int32
	assembled shm.AtomicBuffer
}

// NewFragmentAssembler wraps delegate; initialBufferLength sizes each
// session's buffer at first use (it grows as needed).
func NewFragmentAssembler(delegate FragmentHandler, initialBufferLength int) *FragmentAssembler {
	a := &FragmentAssembler{delegate: delegate, initial: max(initialBufferLength, 4096), sessions: map[int32]*assembly{}}
	a.handler = a.onFragment
	return a
}

// Handler is the FragmentHandler to poll with.
func (a *FragmentAssembler) Handler() FragmentHandler { return a.handler }

func (a *FragmentAssembler) onFragment(buf shm.AtomicBuffer, offset, length int, h *Header) {
	flags := h.Flags()
	if flags&(logbuffer.FlagBegin|logbuffer.FlagEnd) == logbuffer.FlagBegin|logbuffer.FlagEnd {
		a.delegate(buf, offset, length, h)
		return
	}
	s := a.sessions[h.SessionID()]
	if flags&logbuffer.FlagBegin != 0 {
		if s == nil {
			s = &assembly{buf: make([]byte, 0, a.initial)}
			a.sessions[h.SessionID()] = s
		}
		s.buf = append(s.buf[:0], buf.Bytes()[offset:offset+length]...)
	} else {
		// A middle or end fragment must follow the previous one exactly;
		// otherwise a fragment was lost (an unreliable stream) and the
		// partial message is dropped.
		if s == nil || len(s.buf) == 0 || h.TermID() != s.nextTerm || h.TermOffset() != s.nextOff {
			if s != nil {
				s.buf = s.buf[:0]
			}
			return
		}
		s.buf = append(s.buf, buf.Bytes()[offset:offset+length]...)
	}
	s.nextTerm = h.TermID()
	s.nextOff = h.TermOffset() + int32(logbuffer.Align(int(h.FrameLength())))
	if flags&logbuffer.FlagEnd != 0 {
		s.assembled = shm.NewAtomicBuffer(s.buf)
		a.delegate(s.assembled, 0, len(s.buf), h)
		s.buf = s.buf[:0]
	}
}

// FreeSession forgets a session's buffer, e.g. when its image goes away.
func (a *FragmentAssembler) FreeSession(sessionID int32) { delete(a.sessions, sessionID) }
