package conductor

import (
	"fmt"
	"strings"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// onCommand dispatches one record from the ring buffer.
func (c *Conductor) onCommand(typ int32, buf shm.AtomicBuffer, offset, length int) {
	b := buf.Bytes()[offset : offset+length]
	hdr, err := command.DecodeCorrelated(b)
	if err != nil {
		// Not even a client and correlation id: nobody to answer.
		c.recordError(command.ErrMalformedCommand, fmt.Sprintf("%s of %d bytes is too short for a command header", command.CommandName(typ), length))
		return
	}
	if err := c.dispatch(typ, b, hdr); err != nil {
		c.sendError(hdr.CorrelationID, errorCode(err), err.Error())
	}
}

func malformed(typ int32, err error) error {
	return coded(command.ErrMalformedCommand, "malformed %s: %v", command.CommandName(typ), err)
}

func (c *Conductor) dispatch(typ int32, b []byte, hdr command.CorrelatedMessage) error {
	switch typ {
	case command.AddPublication, command.AddExclusivePublication:
		m, err := command.DecodePublication(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onAddPublication(m, typ == command.AddExclusivePublication)
	case command.RemovePublication:
		m, err := command.DecodeRemovePublication(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onRemovePublication(m)
	case command.AddSubscription:
		m, err := command.DecodeSubscription(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onAddSubscription(m)
	case command.RemoveSubscription:
		m, err := command.DecodeRemove(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onRemoveSubscription(m)
	case command.ClientKeepalive:
		if cl := c.clients[hdr.ClientID]; cl != nil {
			cl.heartbeat.Set(c.nowMs())
		}
		return nil
	case command.ClientClose:
		if cl := c.clients[hdr.ClientID]; cl != nil {
			cl.closed = true
			// The next liveness check releases it, without a timeout.
			cl.heartbeat.Set(0)
		}
		return nil
	case command.AddCounter:
		m, err := command.DecodeCounter(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onAddCounter(m.CorrelatedMessage, m.TypeID, m.Key, m.Label)
	case command.AddStaticCounter:
		m, err := command.DecodeStaticCounter(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onAddStaticCounter(m)
	case command.RemoveCounter:
		m, err := command.DecodeRemove(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onRemoveCounter(m)
	case command.TerminateDriver:
		m, err := command.DecodeTerminateDriver(b)
		if err != nil {
			return malformed(typ, err)
		}
		c.onTerminate(m)
		return nil
	case command.GetNextAvailableSessionID:
		m, err := command.DecodeGetNextAvailableSessionID(b)
		if err != nil {
			return malformed(typ, err)
		}
		c.client(m.ClientID)
		id := c.allocateSessionID(m.StreamID)
		n, err := command.EncodeNextAvailableSessionID(c.scratch, m.CorrelationID, id)
		c.transmit(command.OnNextAvailableSessionID, n, err)
		return nil
	case command.AddDestination, command.RemoveDestination:
		m, err := command.DecodeDestination(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onDestination(typ, m, -1)
	case command.AddRcvDestination, command.RemoveRcvDestination:
		m, err := command.DecodeDestination(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onRcvDestination(typ, m)
	case command.RemoveDestinationByID:
		m, err := command.DecodeDestinationByID(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onDestination(typ, command.DestinationMessage{CorrelatedMessage: m.CorrelatedMessage, RegistrationID: m.ResourceRegistrationID},
			m.DestinationRegistrationID)
	case command.RejectImage:
		m, err := command.DecodeRejectImage(b)
		if err != nil {
			return malformed(typ, err)
		}
		return c.onRejectImage(m)
	}
	return coded(command.ErrUnknownCommandTypeID, "unknown command type id 0x%x", typ)
}

func (c *Conductor) onTerminate(m command.TerminateDriverMessage) {
	if strings.EqualFold(c.cfg.DriverTerminationValidator, "allow") {
		c.log.Info("termination requested by a client", "client", m.ClientID)
		if c.ctx.Terminate != nil {
			c.ctx.Terminate()
		}
		return
	}
	// Aeron answers nothing when the validator refuses.
	c.recordError(command.ErrGenericError, fmt.Sprintf("client %d asked the driver to terminate; refused by the termination validator (aeron.driver.termination.validator=deny)", m.ClientID))
}

// parseChannel parses a channel and refuses what this driver cannot serve.
func parseChannel(channel []byte) (*uri.URI, error) {
	u, err := uri.Parse(string(channel))
	if err != nil {
		return nil, coded(command.ErrInvalidChannel, "%v", err)
	}
	return u, nil
}

func (c *Conductor) onAddCounter(hdr command.CorrelatedMessage, typeID int32, key, label []byte) error {
	cl := c.client(hdr.ClientID)
	if cl == nil {
		return coded(command.ErrGenericError, "no counter left for client %d's heartbeat", hdr.ClientID)
	}
	id, err := c.ctx.Counters.Allocate(typeID, key, string(label))
	if err != nil {
		return coded(command.ErrGenericError, "add counter %q: %v", label, err)
	}
	c.ctx.Counters.SetCounterRegistrationID(id, hdr.CorrelationID)
	c.ctx.Counters.SetCounterOwnerID(id, hdr.ClientID)
	cl.counters = append(cl.counters, userCounter{registrationID: hdr.CorrelationID, id: id})
	n, err := command.EncodeCounterUpdate(c.scratch, hdr.CorrelationID, id)
	c.transmit(command.OnCounterReady, n, err)
	return nil
}

func (c *Conductor) onAddStaticCounter(m command.StaticCounterMessage) error {
	c.client(m.ClientID)
	id := c.reader.FindByTypeIDAndRegistrationID(m.TypeID, m.RegistrationID)
	if id != counters.NullCounterID {
		if c.reader.OwnerID(id) != -1 {
			return coded(command.ErrGenericError, "counter type %d registration %d exists and is not static", m.TypeID, m.RegistrationID)
		}
	} else {
		var err error
		id, err = c.ctx.Counters.Allocate(m.TypeID, m.Key, string(m.Label))
		if err != nil {
			return coded(command.ErrGenericError, "add static counter %q: %v", m.Label, err)
		}
		c.ctx.Counters.SetCounterRegistrationID(id, m.RegistrationID)
		c.ctx.Counters.SetCounterOwnerID(id, -1)
	}
	n, err := command.EncodeStaticCounter(c.scratch, m.CorrelationID, id)
	c.transmit(command.OnStaticCounter, n, err)
	return nil
}

func (c *Conductor) onRemoveCounter(m command.RemoveMessage) error {
	cl := c.clients[m.ClientID]
	if cl != nil {
		for i, uc := range cl.counters {
			if uc.registrationID == m.RegistrationID {
				cl.counters = append(cl.counters[:i], cl.counters[i+1:]...)
				n, err := command.EncodeOperationSucceeded(c.scratch, m.CorrelationID)
				c.transmit(command.OnOperationSuccess, n, err)
				c.freeCounter(uc)
				return nil
			}
		}
	}
	return coded(command.ErrUnknownCounter, "unknown counter registration id %d for client %d", m.RegistrationID, m.ClientID)
}

func (c *Conductor) freeCounter(uc userCounter) {
	n, err := command.EncodeCounterUpdate(c.scratch, uc.registrationID, uc.id)
	c.transmit(command.OnUnavailableCounter, n, err)
	c.ctx.Counters.Free(uc.id)
}
