package command

// Named encoders for commands that share a body layout, so call sites read
// as the command they send.

// EncodeAddExclusivePublication writes ADD_EXCLUSIVE_PUBLICATION's body.
func EncodeAddExclusivePublication(dst []byte, clientID, correlationID int64, streamID int32, channel string) (int, error) {
	return EncodeAddPublication(dst, clientID, correlationID, streamID, channel)
}

// EncodeClientKeepalive writes CLIENT_KEEPALIVE's body.
func EncodeClientKeepalive(dst []byte, clientID, correlationID int64) (int, error) {
	return EncodeCorrelated(dst, clientID, correlationID)
}

// EncodeClientClose writes CLIENT_CLOSE's body; Java clients send
// correlation id -1.
func EncodeClientClose(dst []byte, clientID, correlationID int64) (int, error) {
	return EncodeCorrelated(dst, clientID, correlationID)
}

// EncodeRemoveSubscription writes REMOVE_SUBSCRIPTION's body.
func EncodeRemoveSubscription(dst []byte, clientID, correlationID, registrationID int64) (int, error) {
	return EncodeRemove(dst, clientID, correlationID, registrationID)
}

// EncodeRemoveCounter writes REMOVE_COUNTER's body.
func EncodeRemoveCounter(dst []byte, clientID, correlationID, registrationID int64) (int, error) {
	return EncodeRemove(dst, clientID, correlationID, registrationID)
}

// EncodeStaticCounter writes ON_STATIC_COUNTER's body (the same layout as
// CounterUpdate).
func EncodeStaticCounter(dst []byte, correlationID int64, counterID int32) (int, error) {
	return EncodeCounterUpdate(dst, correlationID, counterID)
}
