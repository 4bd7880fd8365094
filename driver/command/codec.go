package command

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every decoding error: the record is shorter
// than its fixed fields or a length field points outside it.
var ErrMalformed = errors.New("malformed control message")

// ErrBufferTooSmall is wrapped by encoding errors when dst cannot hold the
// message.
var ErrBufferTooSmall = errors.New("buffer too small for control message")

func getInt32(b []byte, off int) int32 { return int32(binary.LittleEndian.Uint32(b[off:])) }
func getInt64(b []byte, off int) int64 { return int64(binary.LittleEndian.Uint64(b[off:])) }
func putInt32(b []byte, off int, v int32) {
	binary.LittleEndian.PutUint32(b[off:], uint32(v))
}
func putInt64(b []byte, off int, v int64) {
	binary.LittleEndian.PutUint64(b[off:], uint64(v))
}

// align4 pads a string length to the next length field (§7: counter key,
// image log file name).
func align4(n int) int { return (n + 3) &^ 3 }

func malformed(what string, length int) error {
	return fmt.Errorf("%s of %d bytes: %w", what, length, ErrMalformed)
}

func tooSmall(what string, need, have int) error {
	return fmt.Errorf("%s needs %d bytes, have %d: %w", what, need, have, ErrBufferTooSmall)
}

// getString reads an int32 length and that many bytes at off, returning a
// view and the offset just past the bytes.
func getString(b []byte, off int, what string) ([]byte, int, error) {
	if off < 0 || off > len(b)-4 {
		return nil, 0, malformed(what, len(b))
	}
	n := int(getInt32(b, off))
	off += 4
	if n < 0 || n > len(b)-off {
		return nil, 0, malformed(what, len(b))
	}
	return b[off : off+n : off+n], off + n, nil
}

func putString(dst []byte, off int, s string) int {
	putInt32(dst, off, int32(len(s)))
	return off + 4 + copy(dst[off+4:], s)
}

func putBytes(dst []byte, off int, s []byte) int {
	putInt32(dst, off, int32(len(s)))
	return off + 4 + copy(dst[off+4:], s)
}

// checkLen guards an encoder: the message must fit dst and each string
// must fit an int32 length.
func checkLen(what string, dst []byte, need int, strs ...int) error {
	for _, n := range strs {
		if n > math.MaxInt32 {
			return fmt.Errorf("%s: string of %d bytes: %w", what, n, ErrBufferTooSmall)
		}
	}
	if need > len(dst) {
		return tooSmall(what, need, len(dst))
	}
	return nil
}

// CorrelatedMessage is the 16-byte prefix of every command, and the whole
// body of CLIENT_KEEPALIVE and CLIENT_CLOSE (§7.3).
type CorrelatedMessage struct {
	ClientID      int64
	CorrelationID int64
}

// CorrelatedMessageLength is the length of a CorrelatedMessage.
const CorrelatedMessageLength = 16

// DecodeCorrelated decodes a CorrelatedMessage (CLIENT_KEEPALIVE,
// CLIENT_CLOSE, or the prefix of any command).
func DecodeCorrelated(b []byte) (CorrelatedMessage, error) {
	if len(b) < CorrelatedMessageLength {
		return CorrelatedMessage{}, malformed("correlated message", len(b))
	}
	return CorrelatedMessage{ClientID: getInt64(b, 0), CorrelationID: getInt64(b, 8)}, nil
}

// EncodeCorrelated writes a CorrelatedMessage (CLIENT_KEEPALIVE,
// CLIENT_CLOSE).
func EncodeCorrelated(dst []byte, clientID, correlationID int64) (int, error) {
	if err := checkLen("correlated message", dst, CorrelatedMessageLength); err != nil {
		return 0, err
	}
	putInt64(dst, 0, clientID)
	putInt64(dst, 8, correlationID)
	return CorrelatedMessageLength, nil
}

// PublicationMessage is ADD_PUBLICATION and ADD_EXCLUSIVE_PUBLICATION.
type PublicationMessage struct {
	CorrelatedMessage
	StreamID int32
	Channel  []byte
}

// DecodePublication decodes a PublicationMessage.
func DecodePublication(b []byte) (PublicationMessage, error) {
	if len(b) < 24 {
		return PublicationMessage{}, malformed("publication message", len(b))
	}
	ch, _, err := getString(b, 20, "publication message")
	if err != nil {
		return PublicationMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return PublicationMessage{CorrelatedMessage: c, StreamID: getInt32(b, 16), Channel: ch}, nil
}

// EncodeAddPublication writes a PublicationMessage (for ADD_PUBLICATION or
// ADD_EXCLUSIVE_PUBLICATION).
func EncodeAddPublication(dst []byte, clientID, correlationID int64, streamID int32, channel string) (int, error) {
	if err := checkLen("publication message", dst, 24+len(channel), len(channel)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt32(dst, 16, streamID)
	return putString(dst, 20, channel), nil
}

// SubscriptionMessage is ADD_SUBSCRIPTION.
type SubscriptionMessage struct {
	CorrelatedMessage
	// RegistrationCorrelationID is sent as -1 by clients and unused.
	RegistrationCorrelationID int64
	StreamID                  int32
	Channel                   []byte
}

// DecodeSubscription decodes a SubscriptionMessage.
func DecodeSubscription(b []byte) (SubscriptionMessage, error) {
	if len(b) < 32 {
		return SubscriptionMessage{}, malformed("subscription message", len(b))
	}
	ch, _, err := getString(b, 28, "subscription message")
	if err != nil {
		return SubscriptionMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return SubscriptionMessage{CorrelatedMessage: c, RegistrationCorrelationID: getInt64(b, 16),
		StreamID: getInt32(b, 24), Channel: ch}, nil
}

// EncodeAddSubscription writes a SubscriptionMessage with the registration
// correlation id clients send (-1).
func EncodeAddSubscription(dst []byte, clientID, correlationID int64, streamID int32, channel string) (int, error) {
	if err := checkLen("subscription message", dst, 32+len(channel), len(channel)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, -1)
	putInt32(dst, 24, streamID)
	return putString(dst, 28, channel), nil
}

// RemoveMessage is REMOVE_SUBSCRIPTION and REMOVE_COUNTER.
type RemoveMessage struct {
	CorrelatedMessage
	RegistrationID int64
}

// DecodeRemove decodes a RemoveMessage.
func DecodeRemove(b []byte) (RemoveMessage, error) {
	if len(b) < 24 {
		return RemoveMessage{}, malformed("remove message", len(b))
	}
	c, _ := DecodeCorrelated(b)
	return RemoveMessage{CorrelatedMessage: c, RegistrationID: getInt64(b, 16)}, nil
}

// EncodeRemove writes a RemoveMessage.
func EncodeRemove(dst []byte, clientID, correlationID, registrationID int64) (int, error) {
	if err := checkLen("remove message", dst, 24); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, registrationID)
	return 24, nil
}

// RemovePublicationMessage is REMOVE_PUBLICATION.
type RemovePublicationMessage struct {
	CorrelatedMessage
	RegistrationID int64
	// Flags is zero for older clients that send 24 bytes.
	Flags uint64
}

// DecodeRemovePublication decodes a RemovePublicationMessage; the 24-byte
// form of older clients decodes with zero flags.
func DecodeRemovePublication(b []byte) (RemovePublicationMessage, error) {
	r, err := DecodeRemove(b)
	if err != nil {
		return RemovePublicationMessage{}, fmt.Errorf("remove publication: %w", err)
	}
	m := RemovePublicationMessage{CorrelatedMessage: r.CorrelatedMessage, RegistrationID: r.RegistrationID}
	if len(b) >= 32 {
		m.Flags = uint64(getInt64(b, 24))
	}
	return m, nil
}

// EncodeRemovePublication writes a 32-byte RemovePublicationMessage.
func EncodeRemovePublication(dst []byte, clientID, correlationID, registrationID int64, flags uint64) (int, error) {
	if err := checkLen("remove publication", dst, 32); err != nil {
		return 0, err
	}
	EncodeRemove(dst, clientID, correlationID, registrationID)
	putInt64(dst, 24, int64(flags))
	return 32, nil
}

// DestinationMessage is ADD/REMOVE_DESTINATION and
// ADD/REMOVE_RCV_DESTINATION.
type DestinationMessage struct {
	CorrelatedMessage
	// RegistrationID of the publication or subscription.
	RegistrationID int64
	Channel        []byte
}

// DecodeDestination decodes a DestinationMessage.
func DecodeDestination(b []byte) (DestinationMessage, error) {
	if len(b) < 28 {
		return DestinationMessage{}, malformed("destination message", len(b))
	}
	ch, _, err := getString(b, 24, "destination message")
	if err != nil {
		return DestinationMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return DestinationMessage{CorrelatedMessage: c, RegistrationID: getInt64(b, 16), Channel: ch}, nil
}

// EncodeDestination writes a DestinationMessage.
func EncodeDestination(dst []byte, clientID, correlationID, registrationID int64, channel string) (int, error) {
	if err := checkLen("destination message", dst, 28+len(channel), len(channel)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, registrationID)
	return putString(dst, 24, channel), nil
}

// DestinationByIDMessage is REMOVE_DESTINATION_BY_ID.
type DestinationByIDMessage struct {
	CorrelatedMessage
	ResourceRegistrationID    int64
	DestinationRegistrationID int64
}

// DecodeDestinationByID decodes a DestinationByIDMessage.
func DecodeDestinationByID(b []byte) (DestinationByIDMessage, error) {
	if len(b) < 32 {
		return DestinationByIDMessage{}, malformed("destination by id", len(b))
	}
	c, _ := DecodeCorrelated(b)
	return DestinationByIDMessage{CorrelatedMessage: c, ResourceRegistrationID: getInt64(b, 16),
		DestinationRegistrationID: getInt64(b, 24)}, nil
}

// EncodeDestinationByID writes a DestinationByIDMessage.
func EncodeDestinationByID(dst []byte, clientID, correlationID, resourceRegistrationID, destinationRegistrationID int64) (int, error) {
	if err := checkLen("destination by id", dst, 32); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, resourceRegistrationID)
	putInt64(dst, 24, destinationRegistrationID)
	return 32, nil
}

// CounterMessage is ADD_COUNTER.
type CounterMessage struct {
	CorrelatedMessage
	TypeID int32
	Key    []byte
	Label  []byte
}

// decodeKeyLabel reads the key (padded to 4) and label starting at off.
func decodeKeyLabel(b []byte, off int, what string) (key, label []byte, err error) {
	key, _, err = getString(b, off, what)
	if err != nil {
		return nil, nil, err
	}
	labelOff := off + 4 + align4(len(key))
	label, _, err = getString(b, labelOff, what)
	if err != nil {
		return nil, nil, err
	}
	return key, label, nil
}

func encodeKeyLabel(dst []byte, off int, key []byte, label string) int {
	putBytes(dst, off, key)
	off += 4 + len(key)
	for ; off&3 != 0; off++ {
		dst[off] = 0
	}
	return putString(dst, off, label)
}

// DecodeCounter decodes a CounterMessage.
func DecodeCounter(b []byte) (CounterMessage, error) {
	if len(b) < 28 {
		return CounterMessage{}, malformed("counter message", len(b))
	}
	key, label, err := decodeKeyLabel(b, 20, "counter message")
	if err != nil {
		return CounterMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return CounterMessage{CorrelatedMessage: c, TypeID: getInt32(b, 16), Key: key, Label: label}, nil
}

// EncodeAddCounter writes a CounterMessage.
func EncodeAddCounter(dst []byte, clientID, correlationID int64, typeID int32, key []byte, label string) (int, error) {
	if err := checkLen("counter message", dst, 28+align4(len(key))+len(label), len(key), len(label)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt32(dst, 16, typeID)
	return encodeKeyLabel(dst, 20, key, label), nil
}

// StaticCounterMessage is ADD_STATIC_COUNTER.
type StaticCounterMessage struct {
	CorrelatedMessage
	RegistrationID int64
	TypeID         int32
	Key            []byte
	Label          []byte
}

// DecodeStaticCounter decodes a StaticCounterMessage.
func DecodeStaticCounter(b []byte) (StaticCounterMessage, error) {
	if len(b) < 36 {
		return StaticCounterMessage{}, malformed("static counter message", len(b))
	}
	key, label, err := decodeKeyLabel(b, 28, "static counter message")
	if err != nil {
		return StaticCounterMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return StaticCounterMessage{CorrelatedMessage: c, RegistrationID: getInt64(b, 16), TypeID: getInt32(b, 24),
		Key: key, Label: label}, nil
}

// EncodeAddStaticCounter writes a StaticCounterMessage.
func EncodeAddStaticCounter(dst []byte, clientID, correlationID, registrationID int64, typeID int32, key []byte, label string) (int, error) {
	if err := checkLen("static counter message", dst, 36+align4(len(key))+len(label), len(key), len(label)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, registrationID)
	putInt32(dst, 24, typeID)
	return encodeKeyLabel(dst, 28, key, label), nil
}

// TerminateDriverMessage is TERMINATE_DRIVER.
type TerminateDriverMessage struct {
	CorrelatedMessage
	Token []byte
}

// DecodeTerminateDriver decodes a TerminateDriverMessage.
func DecodeTerminateDriver(b []byte) (TerminateDriverMessage, error) {
	if len(b) < 20 {
		return TerminateDriverMessage{}, malformed("terminate driver", len(b))
	}
	tok, _, err := getString(b, 16, "terminate driver")
	if err != nil {
		return TerminateDriverMessage{}, err
	}
	c, _ := DecodeCorrelated(b)
	return TerminateDriverMessage{CorrelatedMessage: c, Token: tok}, nil
}

// EncodeTerminateDriver writes a TerminateDriverMessage.
func EncodeTerminateDriver(dst []byte, clientID, correlationID int64, token []byte) (int, error) {
	if err := checkLen("terminate driver", dst, 20+len(token), len(token)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	return putBytes(dst, 16, token), nil
}

// RejectImageMessage is REJECT_IMAGE.
type RejectImageMessage struct {
	CorrelatedMessage
	ImageCorrelationID int64
	Position           int64
	Reason             []byte
}

// DecodeRejectImage decodes a RejectImageMessage.
func DecodeRejectImage(b []byte) (RejectImageMessage, error) {
	if len(b) < 36 {
		return RejectImageMessage{}, malformed("reject image", len(b))
	}
	reason, _, err := getString(b, 32, "reject image")
	if err != nil {
		return RejectImageMessage{}, err
	}
	if len(reason) > MaxRejectReasonLength {
		return RejectImageMessage{}, malformed("reject image reason", len(reason))
	}
	c, _ := DecodeCorrelated(b)
	return RejectImageMessage{CorrelatedMessage: c, ImageCorrelationID: getInt64(b, 16), Position: getInt64(b, 24),
		Reason: reason}, nil
}

// EncodeRejectImage writes a RejectImageMessage.
func EncodeRejectImage(dst []byte, clientID, correlationID, imageCorrelationID, position int64, reason string) (int, error) {
	if len(reason) > MaxRejectReasonLength {
		return 0, fmt.Errorf("reject image reason of %d bytes exceeds %d: %w", len(reason), MaxRejectReasonLength, ErrBufferTooSmall)
	}
	if err := checkLen("reject image", dst, 36+len(reason)); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt64(dst, 16, imageCorrelationID)
	putInt64(dst, 24, position)
	return putString(dst, 32, reason), nil
}

// GetNextAvailableSessionIDMessage is GET_NEXT_AVAILABLE_SESSION_ID.
type GetNextAvailableSessionIDMessage struct {
	CorrelatedMessage
	StreamID int32
}

// DecodeGetNextAvailableSessionID decodes a GetNextAvailableSessionIDMessage.
func DecodeGetNextAvailableSessionID(b []byte) (GetNextAvailableSessionIDMessage, error) {
	if len(b) < 20 {
		return GetNextAvailableSessionIDMessage{}, malformed("get next available session id", len(b))
	}
	c, _ := DecodeCorrelated(b)
	return GetNextAvailableSessionIDMessage{CorrelatedMessage: c, StreamID: getInt32(b, 16)}, nil
}

// EncodeGetNextAvailableSessionID writes a GetNextAvailableSessionIDMessage.
func EncodeGetNextAvailableSessionID(dst []byte, clientID, correlationID int64, streamID int32) (int, error) {
	if err := checkLen("get next available session id", dst, 20); err != nil {
		return 0, err
	}
	EncodeCorrelated(dst, clientID, correlationID)
	putInt32(dst, 16, streamID)
	return 20, nil
}
