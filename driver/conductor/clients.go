package conductor

import (
	"sort"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
)

// client is one Aeron client process (one Aeron instance).
type client struct {
	id        int64
	heartbeat counters.Counter
	closed    bool
	// publications this client added, once per add (a shared publication
	// added twice is released twice).
	publications []*pubLink
	counters     []userCounter
}

type pubLink struct {
	registrationID int64 // the correlation id of the client's add
	pub            *ipcPublication
	net            *networkPublication
}

func (l *pubLink) publicationID() int64 {
	if l.net != nil {
		return l.net.registrationID
	}
	return l.pub.registrationID
}

func (c *Conductor) release(l *pubLink) {
	if l.net != nil {
		c.releaseNetworkPublication(l.net)
		return
	}
	c.releasePublication(l.pub)
}

type userCounter struct {
	registrationID int64
	id             int32
}

// client returns the client with this id, registering it on first sight
// with a heartbeat counter that current Aeron clients keep alive
// themselves, announced with ON_COUNTER_READY.
func (c *Conductor) client(id int64) *client {
	if cl, ok := c.clients[id]; ok {
		return cl
	}
	hb, err := c.ctx.Counters.AllocateClientHeartbeat(id, c.nowMs())
	if err != nil {
		c.recordError(command.ErrGenericError, "allocate heartbeat counter for client: "+err.Error())
		return nil
	}
	cl := &client{id: id, heartbeat: hb}
	c.clients[id] = cl
	n, err := command.EncodeCounterUpdate(c.scratch, id, hb.ID())
	c.transmit(command.OnCounterReady, n, err)
	return cl
}

// checkClients ends clients whose heartbeat is older than the liveness
// timeout, or that closed.
func (c *Conductor) checkClients(nowMs int64) int {
	timeoutMs := c.cfg.ClientLivenessTimeout.Milliseconds()
	var dead []*client
	for _, cl := range c.clients {
		if cl.closed || cl.heartbeat.Get()+timeoutMs < nowMs {
			dead = append(dead, cl)
		}
	}
	// Map order is random; release in id order so runs repeat.
	sort.Slice(dead, func(i, j int) bool { return dead[i].id < dead[j].id })
	for _, cl := range dead {
		c.removeClient(cl)
	}
	return len(dead)
}

func (c *Conductor) removeClient(cl *client) {
	delete(c.clients, cl.id)
	if !cl.closed {
		c.ctx.System.ClientTimeouts.Increment()
		n, err := command.EncodeClientTimeout(c.scratch, cl.id)
		c.transmit(command.OnClientTimeout, n, err)
		c.log.Info("client timed out", "client", cl.id)
	}
	for _, link := range cl.publications {
		c.release(link)
	}
	cl.publications = nil
	for i := 0; i < len(c.subscriptions); {
		s := c.subscriptions[i]
		if s.clientID == cl.id {
			c.removeSubscriptionAt(i)
			continue
		}
		i++
	}
	for _, uc := range cl.counters {
		c.freeCounter(uc)
	}
	cl.counters = nil
	n, err := command.EncodeCounterUpdate(c.scratch, cl.id, cl.heartbeat.ID())
	c.transmit(command.OnUnavailableCounter, n, err)
	c.ctx.Counters.Free(cl.heartbeat.ID())
}
