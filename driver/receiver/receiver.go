package receiver

import "github.com/aeron-bypass/aeron-bypass/driver/agent"

// Receiver is the receiver agent: it reads every receive endpoint, rebuilds
// images, sends status messages and NAKs.
type Receiver struct {
	nanoClock func() int64
	commands  agent.Queue[func(*Receiver)]
	endpoints []*Endpoint
	images    []*Image
}

// New builds the receiver.
func New(nanoClock func() int64) *Receiver { return &Receiver{nanoClock: nanoClock} }

// RoleName implements agent.Agent.
func (r *Receiver) RoleName() string { return "receiver" }

// AddEndpoint starts reading an endpoint.
func (r *Receiver) AddEndpoint(e *Endpoint) {
	r.commands.Offer(func(r *Receiver) { r.endpoints = append(r.endpoints, e) })
}

// RemoveEndpoint stops reading an endpoint and closes its socket.
func (r *Receiver) RemoveEndpoint(e *Endpoint) {
	r.commands.Offer(func(r *Receiver) {
		for i, x := range r.endpoints {
			if x == e {
				r.endpoints = append(r.endpoints[:i], r.endpoints[i+1:]...)
				break
			}
		}
		e.close()
	})
}

// AddSubscription registers interest in a stream (one session, or all).
func (r *Receiver) AddSubscription(e *Endpoint, streamID, sessionID int32, hasSession bool) {
	r.commands.Offer(func(r *Receiver) { e.addSubscription(streamID, sessionID, hasSession, r.nanoClock()) })
}

// AddDestination starts reading another socket of a multi-destination
// subscription's endpoint.
func (r *Receiver) AddDestination(e *Endpoint, d *Destination) {
	r.commands.Offer(func(r *Receiver) { e.addDestination(d, r.nanoClock()) })
}

// RemoveDestination closes the socket of a multi-destination
// subscription's destination on channel canonical.
func (r *Receiver) RemoveDestination(e *Endpoint, canonical string) {
	r.commands.Offer(func(*Receiver) { e.removeDestination(canonical) })
}

// RequestSetup asks the publisher of one session again for SETUP, from an
// endpoint with an explicit control address (a response subscription
// hearing the server's response setup once more).
func (r *Receiver) RequestSetup(e *Endpoint, streamID, sessionID int32) {
	r.commands.Offer(func(*Receiver) {
		e.sendSetupRequest(sessionID, streamID)
	})
}

// RemoveSubscription drops interest registered by AddSubscription.
func (r *Receiver) RemoveSubscription(e *Endpoint, streamID, sessionID int32, hasSession bool) {
	r.commands.Offer(func(*Receiver) { e.removeSubscription(streamID, sessionID, hasSession) })
}

// AddImage makes an image active: its DATA goes into its log.
func (r *Receiver) AddImage(img *Image) {
	r.commands.Offer(func(r *Receiver) {
		img.ep.addImage(img)
		r.images = append(r.images, img)
	})
}

// ImageRefused lets a later SETUP for the session try again.
func (r *Receiver) ImageRefused(e *Endpoint, sessionID, streamID int32) {
	r.commands.Offer(func(*Receiver) { e.imageRefused(sessionID, streamID) })
}

// RemoveImage stops serving an image. coolDown keeps ignoring the session
// (an image that ended without end of stream on a rejoin=false stream).
func (r *Receiver) RemoveImage(img *Image, coolDown bool) {
	r.commands.Offer(func(r *Receiver) {
		img.ep.removeImage(img, coolDown, r.nanoClock())
		for i, x := range r.images {
			if x == img {
				r.images = append(r.images[:i], r.images[i+1:]...)
				break
			}
		}
		img.released.Store(true)
	})
}

// DoWork implements agent.Agent.
func (r *Receiver) DoWork() (int, error) {
	work := r.commands.Drain(r.apply)
	nowNs := r.nanoClock()
	for _, e := range r.endpoints {
		work += e.poll(nowNs)
	}
	for _, img := range r.images {
		work += img.trackRebuild(nowNs)
		work += img.sendPendingStatus(nowNs)
	}
	for _, e := range r.endpoints {
		e.onTimers(nowNs)
	}
	return work, nil
}

func (r *Receiver) apply(fn func(*Receiver)) { fn(r) }

// OnClose closes the endpoints.
func (r *Receiver) OnClose() {
	r.commands.Drain(r.apply)
	for _, e := range r.endpoints {
		e.close()
	}
	r.endpoints = nil
	for _, img := range r.images {
		img.released.Store(true)
	}
	r.images = nil
}
