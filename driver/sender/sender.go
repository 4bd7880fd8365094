package sender

import (
	"net/netip"

	"github.com/aeron-bypass/aeron-bypass/driver/agent"
)

// controlPollInterval bounds how long the sender goes without reading
// status messages while busy sending (Aeron polls at least every half
// status-message timeout).
const controlPollIntervalNs = int64(100e6)

// Sender is the sender agent: it sends every network publication's data,
// SETUP and heartbeats, and reads status messages and NAKs.
type Sender struct {
	nanoClock func() int64
	pollRatio int

	commands agent.Queue[func(*Sender)]
	// Errors carries ERR frames from receivers to the conductor, which
	// tells the publication's clients.
	Errors     agent.Queue[PublicationError]
	pubs       []*Publication
	endpoints  []*Endpoint
	roundRobin int
	cycles     int
	nextPollNs int64
	nextIdleNs int64
}

// New builds the sender. pollRatio is Aeron's send-to-status-poll ratio.
func New(nanoClock func() int64, pollRatio int) *Sender {
	return &Sender{nanoClock: nanoClock, pollRatio: max(pollRatio, 1)}
}

// RoleName implements agent.Agent.
func (s *Sender) RoleName() string { return "sender" }

// AddEndpoint hands a send endpoint to the sender.
func (s *Sender) AddEndpoint(e *Endpoint) {
	e.errors = &s.Errors
	s.commands.Offer(func(s *Sender) { s.endpoints = append(s.endpoints, e) })
}

// RemoveEndpoint closes a send endpoint on the sender's thread.
func (s *Sender) RemoveEndpoint(e *Endpoint) {
	s.commands.Offer(func(s *Sender) {
		for i, x := range s.endpoints {
			if x == e {
				s.endpoints = append(s.endpoints[:i], s.endpoints[i+1:]...)
				break
			}
		}
		e.close()
	})
}

// AddPublication starts sending a publication.
func (s *Sender) AddPublication(p *Publication) {
	s.commands.Offer(func(s *Sender) {
		s.pubs = append(s.pubs, p)
		p.ep.pubs[key(p.p.SessionID, p.p.StreamID)] = p
	})
}

// RemovePublication stops sending a publication; Released reports when
// it is done.
func (s *Sender) RemovePublication(p *Publication) {
	s.commands.Offer(func(s *Sender) {
		for i, x := range s.pubs {
			if x == p {
				s.pubs = append(s.pubs[:i], s.pubs[i+1:]...)
				break
			}
		}
		if p.ep.pubs[key(p.p.SessionID, p.p.StreamID)] == p {
			delete(p.ep.pubs, key(p.p.SessionID, p.p.StreamID))
		}
		p.released.Store(true)
	})
}

// AddDestination adds a manual multi-destination-cast destination.
func (s *Sender) AddDestination(e *Endpoint, addr netip.AddrPort, registrationID int64) {
	s.commands.Offer(func(*Sender) { e.addDestination(addr, registrationID) })
}

// RemoveDestination removes a manual destination by address or, when addr
// is not valid, by registration id.
func (s *Sender) RemoveDestination(e *Endpoint, addr netip.AddrPort, registrationID int64) {
	s.commands.Offer(func(*Sender) { e.removeDestination(addr, registrationID) })
}

// DoWork implements agent.Agent.
func (s *Sender) DoWork() (int, error) {
	work := s.commands.Drain(s.apply)
	nowNs := s.nanoClock()
	sent := 0
	if n := len(s.pubs); n > 0 {
		if s.roundRobin >= n {
			s.roundRobin = 0
		}
		for i := s.roundRobin; i < n; i++ {
			sent += s.pubs[i].send(nowNs)
		}
		for i := 0; i < s.roundRobin; i++ {
			sent += s.pubs[i].send(nowNs)
		}
		s.roundRobin++
	}
	s.cycles++
	if sent == 0 || s.cycles >= s.pollRatio || nowNs >= s.nextPollNs {
		for _, e := range s.endpoints {
			work += e.poll(nowNs)
		}
		s.cycles = 0
		s.nextPollNs = nowNs + controlPollIntervalNs
	}
	if nowNs >= s.nextIdleNs {
		for _, e := range s.endpoints {
			e.expireDestinations(nowNs)
		}
		s.nextIdleNs = nowNs + 1e9
	}
	return work + sent, nil
}

func (s *Sender) apply(fn func(*Sender)) { fn(s) }

// PublicationError is an ERR frame a receiver sent a publication.
type PublicationError struct {
	RegistrationID int64
	SessionID      int32
	StreamID       int32
	ReceiverID     int64
	GroupTag       int64 // -1 when the frame had none
	Source         netip.AddrPort
	Code           int32
	Message        string
}

// OnClose closes the endpoints still open.
func (s *Sender) OnClose() {
	s.commands.Drain(s.apply)
	for _, e := range s.endpoints {
		e.close()
	}
	s.endpoints = nil
	for _, p := range s.pubs {
		p.released.Store(true)
	}
	s.pubs = nil
}
