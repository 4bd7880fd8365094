package client

import (
	"context"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
)

// AddDestination adds a receiver address to a multi-destination-cast
// publication (control-mode=manual): channel is aeron:udp?endpoint=...
// It returns the destination's registration id, for RemoveDestinationByID.
func (p *Publication) AddDestination(ctx context.Context, channel string) (int64, error) {
	c := p.client
	pd, corr, err := c.send(command.AddDestination, func(dst []byte, corr int64) (int, error) {
		return command.EncodeDestination(dst, c.clientID, corr, p.registrationID, channel)
	})
	if err != nil {
		return 0, err
	}
	return corr, c.await(ctx, pd, corr)
}

// RemoveDestinationByID removes the destination AddDestination returned
// the id of.
func (p *Publication) RemoveDestinationByID(ctx context.Context, destinationID int64) error {
	c := p.client
	pd, corr, err := c.send(command.RemoveDestinationByID, func(dst []byte, corr int64) (int, error) {
		return command.EncodeDestinationByID(dst, c.clientID, corr, p.registrationID, destinationID)
	})
	if err != nil {
		return err
	}
	return c.await(ctx, pd, corr)
}

// RemoveDestination removes a receiver address AddDestination added.
func (p *Publication) RemoveDestination(ctx context.Context, channel string) error {
	return p.client.destination(ctx, command.RemoveDestination, p.registrationID, channel)
}

// AddDestination adds a receive socket to a multi-destination subscription
// (control-mode=manual): channel is aeron:udp?endpoint=... on this host,
// and what arrives there feeds the subscription's images.
func (s *Subscription) AddDestination(ctx context.Context, channel string) error {
	return s.client.destination(ctx, command.AddRcvDestination, s.registrationID, channel)
}

// RemoveDestination closes a receive socket AddDestination opened.
func (s *Subscription) RemoveDestination(ctx context.Context, channel string) error {
	return s.client.destination(ctx, command.RemoveRcvDestination, s.registrationID, channel)
}

// destination sends ADD/REMOVE_(RCV_)DESTINATION and waits for the answer.
func (c *Client) destination(ctx context.Context, typ int32, registrationID int64, channel string) error {
	pd, corr, err := c.send(typ, func(dst []byte, corr int64) (int, error) {
		return command.EncodeDestination(dst, c.clientID, corr, registrationID, channel)
	})
	if err != nil {
		return err
	}
	return c.await(ctx, pd, corr)
}
