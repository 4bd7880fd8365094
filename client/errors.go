package client

import (
	"errors"
	"fmt"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
)

// Offer and TryClaim results below zero, as Aeron's publications return
// them (Publication.java, aeronc.h); a result of zero or more is the new
// stream position.
const (
	NotConnected        = logbuffer.NotConnected
	BackPressured       = logbuffer.BackPressured
	AdminAction         = logbuffer.AdminAction
	Closed              = logbuffer.Closed
	MaxPositionExceeded = logbuffer.MaxPositionExceeded
	// PublicationError: the message is longer than MaxMessageLength, or
	// a claim longer than MaxPayloadLength (Aeron's Java client throws).
	PublicationError = logbuffer.PublicationError
)

// DriverError is an ON_ERROR response from the driver to one of our
// commands (§7.4, §7.6).
type DriverError struct {
	Code    command.ErrorCode
	Message string
}

func (e *DriverError) Error() string {
	return fmt.Sprintf("driver error %d: %s", int32(e.Code), e.Message)
}

var (
	// ErrClientClosed is returned by calls on a closed client.
	ErrClientClosed = errors.New("aeron client closed")
	// ErrDriverTimeout reports a driver that stopped heartbeating.
	ErrDriverTimeout = errors.New("media driver timeout")
	// ErrClientTimeout reports the driver timing this client out.
	ErrClientTimeout = errors.New("client timed out by the media driver")
)
