package command

// ErrorResponse is ON_ERROR (§7.4).
type ErrorResponse struct {
	OffendingCorrelationID int64
	Code                   ErrorCode
	Message                []byte
}

// DecodeError decodes an ErrorResponse.
func DecodeError(b []byte) (ErrorResponse, error) {
	if len(b) < 16 {
		return ErrorResponse{}, malformed("error response", len(b))
	}
	msg, _, err := getString(b, 12, "error response")
	if err != nil {
		return ErrorResponse{}, err
	}
	return ErrorResponse{OffendingCorrelationID: getInt64(b, 0), Code: ErrorCode(getInt32(b, 8)), Message: msg}, nil
}

// EncodeError writes an ErrorResponse.
func EncodeError(dst []byte, offendingCorrelationID int64, code ErrorCode, message string) (int, error) {
	if err := checkLen("error response", dst, 16+len(message), len(message)); err != nil {
		return 0, err
	}
	putInt64(dst, 0, offendingCorrelationID)
	putInt32(dst, 8, int32(code))
	return putString(dst, 12, message), nil
}

// PublicationBuffersReady is ON_PUBLICATION_READY and
// ON_EXCLUSIVE_PUBLICATION_READY.
type PublicationBuffersReady struct {
	CorrelationID int64
	// RegistrationID names the log; it differs from CorrelationID when an
	// existing concurrent publication is shared.
	RegistrationID           int64
	SessionID                int32
	StreamID                 int32
	PositionLimitCounterID   int32
	ChannelStatusIndicatorID int32
	LogFileName              []byte
}

// DecodePublicationReady decodes a PublicationBuffersReady.
func DecodePublicationReady(b []byte) (PublicationBuffersReady, error) {
	if len(b) < 36 {
		return PublicationBuffersReady{}, malformed("publication ready", len(b))
	}
	name, _, err := getString(b, 32, "publication ready")
	if err != nil {
		return PublicationBuffersReady{}, err
	}
	return PublicationBuffersReady{CorrelationID: getInt64(b, 0), RegistrationID: getInt64(b, 8),
		SessionID: getInt32(b, 16), StreamID: getInt32(b, 20), PositionLimitCounterID: getInt32(b, 24),
		ChannelStatusIndicatorID: getInt32(b, 28), LogFileName: name}, nil
}

// EncodePublicationReady writes a PublicationBuffersReady.
func EncodePublicationReady(dst []byte, correlationID, registrationID int64, sessionID, streamID,
	positionLimitCounterID, channelStatusIndicatorID int32, logFileName string) (int, error) {
	if err := checkLen("publication ready", dst, 36+len(logFileName), len(logFileName)); err != nil {
		return 0, err
	}
	putInt64(dst, 0, correlationID)
	putInt64(dst, 8, registrationID)
	putInt32(dst, 16, sessionID)
	putInt32(dst, 20, streamID)
	putInt32(dst, 24, positionLimitCounterID)
	putInt32(dst, 28, channelStatusIndicatorID)
	return putString(dst, 32, logFileName), nil
}

// SubscriptionReady is ON_SUBSCRIPTION_READY.
type SubscriptionReady struct {
	CorrelationID int64
	// ChannelStatusIndicatorID is -1 for IPC and spy subscriptions.
	ChannelStatusIndicatorID int32
}

// DecodeSubscriptionReady decodes a SubscriptionReady.
func DecodeSubscriptionReady(b []byte) (SubscriptionReady, error) {
	if len(b) < 12 {
		return SubscriptionReady{}, malformed("subscription ready", len(b))
	}
	return SubscriptionReady{CorrelationID: getInt64(b, 0), ChannelStatusIndicatorID: getInt32(b, 8)}, nil
}

// EncodeSubscriptionReady writes a SubscriptionReady.
func EncodeSubscriptionReady(dst []byte, correlationID int64, channelStatusIndicatorID int32) (int, error) {
	return encodeIDAndInt32("subscription ready", dst, correlationID, channelStatusIndicatorID)
}

// ImageBuffersReady is ON_AVAILABLE_IMAGE.
type ImageBuffersReady struct {
	CorrelationID              int64
	SessionID                  int32
	StreamID                   int32
	SubscriptionRegistrationID int64
	SubscriberPositionID       int32
	LogFileName                []byte
	SourceIdentity             []byte
}

// DecodeAvailableImage decodes an ImageBuffersReady.
func DecodeAvailableImage(b []byte) (ImageBuffersReady, error) {
	if len(b) < 36 {
		return ImageBuffersReady{}, malformed("available image", len(b))
	}
	name, _, err := getString(b, 28, "available image")
	if err != nil {
		return ImageBuffersReady{}, err
	}
	// The source identity's length follows the name padded to 4 bytes
	// (ImageBuffersReadyFlyweight.sourceIdentityOffset).
	src, _, err := getString(b, 32+align4(len(name)), "available image")
	if err != nil {
		return ImageBuffersReady{}, err
	}
	return ImageBuffersReady{CorrelationID: getInt64(b, 0), SessionID: getInt32(b, 8), StreamID: getInt32(b, 12),
		SubscriptionRegistrationID: getInt64(b, 16), SubscriberPositionID: getInt32(b, 24),
		LogFileName: name, SourceIdentity: src}, nil
}

// EncodeAvailableImage writes an ImageBuffersReady.
func EncodeAvailableImage(dst []byte, correlationID int64, sessionID, streamID int32, subscriptionRegistrationID int64,
	subscriberPositionID int32, logFileName, sourceIdentity string) (int, error) {
	need := 36 + align4(len(logFileName)) + len(sourceIdentity)
	if err := checkLen("available image", dst, need, len(logFileName), len(sourceIdentity)); err != nil {
		return 0, err
	}
	putInt64(dst, 0, correlationID)
	putInt32(dst, 8, sessionID)
	putInt32(dst, 12, streamID)
	putInt64(dst, 16, subscriptionRegistrationID)
	putInt32(dst, 24, subscriberPositionID)
	off := putString(dst, 28, logFileName)
	for ; off&3 != 0; off++ {
		dst[off] = 0
	}
	return putString(dst, off, sourceIdentity), nil
}

// ImageMessage is ON_UNAVAILABLE_IMAGE.
type ImageMessage struct {
	CorrelationID              int64
	SubscriptionRegistrationID int64
	StreamID                   int32
	Channel                    []byte
}

// DecodeUnavailableImage decodes an ImageMessage.
func DecodeUnavailableImage(b []byte) (ImageMessage, error) {
	if len(b) < 24 {
		return ImageMessage{}, malformed("unavailable image", len(b))
	}
	ch, _, err := getString(b, 20, "unavailable image")
	if err != nil {
		return ImageMessage{}, err
	}
	return ImageMessage{CorrelationID: getInt64(b, 0), SubscriptionRegistrationID: getInt64(b, 8),
		StreamID: getInt32(b, 16), Channel: ch}, nil
}

// EncodeUnavailableImage writes an ImageMessage.
func EncodeUnavailableImage(dst []byte, correlationID, subscriptionRegistrationID int64, streamID int32, channel string) (int, error) {
	if err := checkLen("unavailable image", dst, 24+len(channel), len(channel)); err != nil {
		return 0, err
	}
	putInt64(dst, 0, correlationID)
	putInt64(dst, 8, subscriptionRegistrationID)
	putInt32(dst, 16, streamID)
	return putString(dst, 20, channel), nil
}

// DecodeOperationSucceeded decodes ON_OPERATION_SUCCESS: the correlation id.
func DecodeOperationSucceeded(b []byte) (int64, error) { return decodeID("operation succeeded", b) }

// EncodeOperationSucceeded writes ON_OPERATION_SUCCESS.
func EncodeOperationSucceeded(dst []byte, correlationID int64) (int, error) {
	return encodeID("operation succeeded", dst, correlationID)
}

// DecodeClientTimeout decodes ON_CLIENT_TIMEOUT: the client id.
func DecodeClientTimeout(b []byte) (int64, error) { return decodeID("client timeout", b) }

// EncodeClientTimeout writes ON_CLIENT_TIMEOUT.
func EncodeClientTimeout(dst []byte, clientID int64) (int, error) {
	return encodeID("client timeout", dst, clientID)
}

// CounterUpdate is ON_COUNTER_READY, ON_UNAVAILABLE_COUNTER and
// ON_STATIC_COUNTER: a registration or correlation id and a counter id.
type CounterUpdate struct {
	CorrelationID int64
	CounterID     int32
}

// DecodeCounterUpdate decodes a CounterUpdate.
func DecodeCounterUpdate(b []byte) (CounterUpdate, error) {
	if len(b) < 12 {
		return CounterUpdate{}, malformed("counter update", len(b))
	}
	return CounterUpdate{CorrelationID: getInt64(b, 0), CounterID: getInt32(b, 8)}, nil
}

// EncodeCounterUpdate writes a CounterUpdate.
func EncodeCounterUpdate(dst []byte, correlationID int64, counterID int32) (int, error) {
	return encodeIDAndInt32("counter update", dst, correlationID, counterID)
}

// NextAvailableSessionID is ON_NEXT_AVAILABLE_SESSION_ID.
type NextAvailableSessionID struct {
	CorrelationID int64
	NextSessionID int32
}

// DecodeNextAvailableSessionID decodes a NextAvailableSessionID.
func DecodeNextAvailableSessionID(b []byte) (NextAvailableSessionID, error) {
	if len(b) < 12 {
		return NextAvailableSessionID{}, malformed("next available session id", len(b))
	}
	return NextAvailableSessionID{CorrelationID: getInt64(b, 0), NextSessionID: getInt32(b, 8)}, nil
}

// EncodeNextAvailableSessionID writes a NextAvailableSessionID.
func EncodeNextAvailableSessionID(dst []byte, correlationID int64, nextSessionID int32) (int, error) {
	return encodeIDAndInt32("next available session id", dst, correlationID, nextSessionID)
}

// PublicationErrorFrameLength is the fixed part of ON_PUBLICATION_ERROR.
const PublicationErrorFrameLength = 68

// PublicationErrorFrame is ON_PUBLICATION_ERROR: an ERR frame a receiver
// sent about a publication.
type PublicationErrorFrame struct {
	RegistrationID int64
	// DestinationRegistrationID is -1 unless the publication is MDC.
	DestinationRegistrationID int64
	SessionID                 int32
	StreamID                  int32
	ReceiverID                int64
	// GroupTag is -1 when the ERR frame had none.
	GroupTag    int64
	AddressType uint16
	SourcePort  uint16
	// SourceAddress holds IPv4 in the first 4 bytes, network order.
	SourceAddress [16]byte
	ErrorCode     ErrorCode
	Message       []byte
}

// DecodePublicationError decodes a PublicationErrorFrame.
func DecodePublicationError(b []byte) (PublicationErrorFrame, error) {
	if len(b) < PublicationErrorFrameLength {
		return PublicationErrorFrame{}, malformed("publication error", len(b))
	}
	msg, _, err := getString(b, 64, "publication error")
	if err != nil {
		return PublicationErrorFrame{}, err
	}
	m := PublicationErrorFrame{RegistrationID: getInt64(b, 0), DestinationRegistrationID: getInt64(b, 8),
		SessionID: getInt32(b, 16), StreamID: getInt32(b, 20), ReceiverID: getInt64(b, 24), GroupTag: getInt64(b, 32),
		AddressType: uint16(b[40]) | uint16(b[41])<<8, SourcePort: uint16(b[42]) | uint16(b[43])<<8,
		ErrorCode: ErrorCode(getInt32(b, 60)), Message: msg}
	copy(m.SourceAddress[:], b[44:60])
	return m, nil
}

// EncodePublicationError writes m. C clients drop the message when it is
// shorter than 72 bytes, so callers should send a non-empty message.
func EncodePublicationError(dst []byte, m *PublicationErrorFrame) (int, error) {
	if err := checkLen("publication error", dst, PublicationErrorFrameLength+len(m.Message), len(m.Message)); err != nil {
		return 0, err
	}
	putInt64(dst, 0, m.RegistrationID)
	putInt64(dst, 8, m.DestinationRegistrationID)
	putInt32(dst, 16, m.SessionID)
	putInt32(dst, 20, m.StreamID)
	putInt64(dst, 24, m.ReceiverID)
	putInt64(dst, 32, m.GroupTag)
	dst[40], dst[41] = byte(m.AddressType), byte(m.AddressType>>8)
	dst[42], dst[43] = byte(m.SourcePort), byte(m.SourcePort>>8)
	copy(dst[44:60], m.SourceAddress[:])
	putInt32(dst, 60, int32(m.ErrorCode))
	return putBytes(dst, 64, m.Message), nil
}

func decodeID(what string, b []byte) (int64, error) {
	if len(b) < 8 {
		return 0, malformed(what, len(b))
	}
	return getInt64(b, 0), nil
}

func encodeID(what string, dst []byte, id int64) (int, error) {
	if err := checkLen(what, dst, 8); err != nil {
		return 0, err
	}
	putInt64(dst, 0, id)
	return 8, nil
}

func encodeIDAndInt32(what string, dst []byte, id int64, v int32) (int, error) {
	if err := checkLen(what, dst, 12); err != nil {
		return 0, err
	}
	putInt64(dst, 0, id)
	putInt32(dst, 8, v)
	return 12, nil
}
