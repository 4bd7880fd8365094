package logbuffer

import "github.com/aeron-bypass/aeron-bypass/driver/shm"

// Free accessors over a log's metadata section (§2.2,
// aeron_logbuffer_descriptor.h): meta is LogBuffers.Meta() or the last
// MetadataLength bytes of a mapped log file. Fields clients read
// concurrently use acquire loads and release stores; the rest are written
// once before the log is shared.

// CorrelationID reads the registration id of a publication or the correlation id of an image.
func CorrelationID(meta shm.AtomicBuffer) int64 { return meta.GetInt64(correlationIDOffset) }

// SetCorrelationID writes the registration id of a publication or the correlation id of an image.
func SetCorrelationID(meta shm.AtomicBuffer, v int64) { meta.PutInt64(correlationIDOffset, v) }

// InitialTermID reads the first term id of the stream.
func InitialTermID(meta shm.AtomicBuffer) int32 { return meta.GetInt32(initialTermIDOffset) }

// SetInitialTermID writes the first term id of the stream.
func SetInitialTermID(meta shm.AtomicBuffer, v int32) { meta.PutInt32(initialTermIDOffset, v) }

// DefaultFrameHeaderLength reads the length of the default frame header (always 32).
func DefaultFrameHeaderLength(meta shm.AtomicBuffer) int32 {
	return meta.GetInt32(defaultFrameHeaderLengthOffset)
}

// SetDefaultFrameHeaderLength writes the length of the default frame header (always 32).
func SetDefaultFrameHeaderLength(meta shm.AtomicBuffer, v int32) {
	meta.PutInt32(defaultFrameHeaderLengthOffset, v)
}

// MTULength reads the stream's MTU.
func MTULength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(mtuLengthOffset) }

// SetMTULength writes the stream's MTU.
func SetMTULength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(mtuLengthOffset, v) }

// TermLengthOf reads the term length recorded in the metadata.
func TermLengthOf(meta shm.AtomicBuffer) int32 { return meta.GetInt32(termLengthOffset) }

// SetTermLength writes the term length recorded in the metadata.
func SetTermLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(termLengthOffset, v) }

// PageSizeOf reads the page size the log was created with.
func PageSizeOf(meta shm.AtomicBuffer) int32 { return meta.GetInt32(pageSizeOffset) }

// SetPageSize writes the page size the log was created with.
func SetPageSize(meta shm.AtomicBuffer, v int32) { meta.PutInt32(pageSizeOffset, v) }

// PublicationWindowLength reads the publication window (0 for images).
func PublicationWindowLength(meta shm.AtomicBuffer) int32 {
	return meta.GetInt32(publicationWindowOffset)
}

// SetPublicationWindowLength writes the publication window (0 for images).
func SetPublicationWindowLength(meta shm.AtomicBuffer, v int32) {
	meta.PutInt32(publicationWindowOffset, v)
}

// ReceiverWindowLength reads the initial receiver window (0 for publications).
func ReceiverWindowLength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(receiverWindowOffset) }

// SetReceiverWindowLength writes the initial receiver window (0 for publications).
func SetReceiverWindowLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(receiverWindowOffset, v) }

// SocketSndbufLength reads the channel's so-sndbuf (0 for the default).
func SocketSndbufLength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(socketSndbufOffset) }

// SetSocketSndbufLength writes the channel's so-sndbuf (0 for the default).
func SetSocketSndbufLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(socketSndbufOffset, v) }

// OSDefaultSocketSndbufLength reads the OS default send buffer.
func OSDefaultSocketSndbufLength(meta shm.AtomicBuffer) int32 {
	return meta.GetInt32(osDefaultSndbufOffset)
}

// SetOSDefaultSocketSndbufLength writes the OS default send buffer.
func SetOSDefaultSocketSndbufLength(meta shm.AtomicBuffer, v int32) {
	meta.PutInt32(osDefaultSndbufOffset, v)
}

// OSMaxSocketSndbufLength reads the OS maximum send buffer.
func OSMaxSocketSndbufLength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(osMaxSndbufOffset) }

// SetOSMaxSocketSndbufLength writes the OS maximum send buffer.
func SetOSMaxSocketSndbufLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(osMaxSndbufOffset, v) }

// SocketRcvbufLength reads the channel's so-rcvbuf (0 for the default).
func SocketRcvbufLength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(socketRcvbufOffset) }

// SetSocketRcvbufLength writes the channel's so-rcvbuf (0 for the default).
func SetSocketRcvbufLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(socketRcvbufOffset, v) }

// OSDefaultSocketRcvbufLength reads the OS default receive buffer.
func OSDefaultSocketRcvbufLength(meta shm.AtomicBuffer) int32 {
	return meta.GetInt32(osDefaultRcvbufOffset)
}

// SetOSDefaultSocketRcvbufLength writes the OS default receive buffer.
func SetOSDefaultSocketRcvbufLength(meta shm.AtomicBuffer, v int32) {
	meta.PutInt32(osDefaultRcvbufOffset, v)
}

// OSMaxSocketRcvbufLength reads the OS maximum receive buffer.
func OSMaxSocketRcvbufLength(meta shm.AtomicBuffer) int32 { return meta.GetInt32(osMaxRcvbufOffset) }

// SetOSMaxSocketRcvbufLength writes the OS maximum receive buffer.
func SetOSMaxSocketRcvbufLength(meta shm.AtomicBuffer, v int32) { meta.PutInt32(osMaxRcvbufOffset, v) }

// MaxResend reads the channel's max-resend.
func MaxResend(meta shm.AtomicBuffer) int32 { return meta.GetInt32(maxResendOffset) }

// SetMaxResend writes the channel's max-resend.
func SetMaxResend(meta shm.AtomicBuffer, v int32) { meta.PutInt32(maxResendOffset, v) }

// EntityTag reads the entity tag from tags=, or -1.
func EntityTag(meta shm.AtomicBuffer) int64 { return meta.GetInt64(entityTagOffset) }

// SetEntityTag writes the entity tag from tags=, or -1.
func SetEntityTag(meta shm.AtomicBuffer, v int64) { meta.PutInt64(entityTagOffset, v) }

// ResponseCorrelationID reads the response correlation id, or -1.
func ResponseCorrelationID(meta shm.AtomicBuffer) int64 {
	return meta.GetInt64(responseCorrelationIDOffset)
}

// SetResponseCorrelationID writes the response correlation id, or -1.
func SetResponseCorrelationID(meta shm.AtomicBuffer, v int64) {
	meta.PutInt64(responseCorrelationIDOffset, v)
}

// LingerTimeoutNs reads the publication linger timeout.
func LingerTimeoutNs(meta shm.AtomicBuffer) int64 { return meta.GetInt64(lingerTimeoutOffset) }

// SetLingerTimeoutNs writes the publication linger timeout.
func SetLingerTimeoutNs(meta shm.AtomicBuffer, v int64) { meta.PutInt64(lingerTimeoutOffset, v) }

// UntetheredWindowLimitTimeoutNs reads the untethered window limit timeout.
func UntetheredWindowLimitTimeoutNs(meta shm.AtomicBuffer) int64 {
	return meta.GetInt64(untetheredWindowLimitOffset)
}

// SetUntetheredWindowLimitTimeoutNs writes the untethered window limit timeout.
func SetUntetheredWindowLimitTimeoutNs(meta shm.AtomicBuffer, v int64) {
	meta.PutInt64(untetheredWindowLimitOffset, v)
}

// UntetheredRestingTimeoutNs reads the untethered resting timeout.
func UntetheredRestingTimeoutNs(meta shm.AtomicBuffer) int64 {
	return meta.GetInt64(untetheredRestingOffset)
}

// SetUntetheredRestingTimeoutNs writes the untethered resting timeout.
func SetUntetheredRestingTimeoutNs(meta shm.AtomicBuffer, v int64) {
	meta.PutInt64(untetheredRestingOffset, v)
}

// UntetheredLingerTimeoutNs reads the untethered linger timeout (only 4-byte aligned).
func UntetheredLingerTimeoutNs(meta shm.AtomicBuffer) int64 {
	return meta.GetInt64(untetheredLingerOffset)
}

// SetUntetheredLingerTimeoutNs writes the untethered linger timeout (only 4-byte aligned).
func SetUntetheredLingerTimeoutNs(meta shm.AtomicBuffer, v int64) {
	meta.PutInt64(untetheredLingerOffset, v)
}

// Group reads whether the channel has group semantics.
func Group(meta shm.AtomicBuffer) bool { return meta.GetUint8(groupOffset) != 0 }

// SetGroup writes whether the channel has group semantics.
func SetGroup(meta shm.AtomicBuffer, v bool) { meta.PutUint8(groupOffset, boolByte(v)) }

// IsResponse reads whether the channel is a response channel.
func IsResponse(meta shm.AtomicBuffer) bool { return meta.GetUint8(isResponseOffset) != 0 }

// SetIsResponse writes whether the channel is a response channel.
func SetIsResponse(meta shm.AtomicBuffer, v bool) { meta.PutUint8(isResponseOffset, boolByte(v)) }

// Rejoin reads whether an image may rejoin.
func Rejoin(meta shm.AtomicBuffer) bool { return meta.GetUint8(rejoinOffset) != 0 }

// SetRejoin writes whether an image may rejoin.
func SetRejoin(meta shm.AtomicBuffer, v bool) { meta.PutUint8(rejoinOffset, boolByte(v)) }

// Reliable reads whether an image is reliable.
func Reliable(meta shm.AtomicBuffer) bool { return meta.GetUint8(reliableOffset) != 0 }

// SetReliable writes whether an image is reliable.
func SetReliable(meta shm.AtomicBuffer, v bool) { meta.PutUint8(reliableOffset, boolByte(v)) }

// Sparse reads whether the log file is sparse.
func Sparse(meta shm.AtomicBuffer) bool { return meta.GetUint8(sparseOffset) != 0 }

// SetSparse writes whether the log file is sparse.
func SetSparse(meta shm.AtomicBuffer, v bool) { meta.PutUint8(sparseOffset, boolByte(v)) }

// SignalEOS reads whether a publication signals end of stream.
func SignalEOS(meta shm.AtomicBuffer) bool { return meta.GetUint8(signalEOSOffset) != 0 }

// SetSignalEOS writes whether a publication signals end of stream.
func SetSignalEOS(meta shm.AtomicBuffer, v bool) { meta.PutUint8(signalEOSOffset, boolByte(v)) }

// SpiesSimulateConnection reads whether spies count as connected subscribers.
func SpiesSimulateConnection(meta shm.AtomicBuffer) bool {
	return meta.GetUint8(spiesSimulateConnectionOffset) != 0
}

// SetSpiesSimulateConnection writes whether spies count as connected subscribers.
func SetSpiesSimulateConnection(meta shm.AtomicBuffer, v bool) {
	meta.PutUint8(spiesSimulateConnectionOffset, boolByte(v))
}

// Tether reads whether an image's subscribers are tethered.
func Tether(meta shm.AtomicBuffer) bool { return meta.GetUint8(tetherOffset) != 0 }

// SetTether writes whether an image's subscribers are tethered.
func SetTether(meta shm.AtomicBuffer, v bool) { meta.PutUint8(tetherOffset, boolByte(v)) }

// LogType reads the log type (TypeConcurrentPublication, ...).
func LogType(meta shm.AtomicBuffer) uint8 { return meta.GetUint8(typeOffset) }

// SetLogType writes the log type (TypeConcurrentPublication, ...).
func SetLogType(meta shm.AtomicBuffer, v uint8) { meta.PutUint8(typeOffset, v) }

// RawTailVolatile loads a partition's raw tail (§2.3) with acquire order.
func RawTailVolatile(meta shm.AtomicBuffer, partition int) int64 {
	return Meta{meta}.RawTailVolatile(partition)
}

// SetRawTail stores a partition's raw tail with release order.
func SetRawTail(meta shm.AtomicBuffer, partition int, rawTail int64) {
	Meta{meta}.SetRawTail(partition, rawTail)
}

// CASRawTail compare-and-swaps a partition's raw tail.
func CASRawTail(meta shm.AtomicBuffer, partition int, expected, rawTail int64) bool {
	return Meta{meta}.CASRawTail(partition, expected, rawTail)
}

// ActiveTermCount loads the number of completed rotations (acquire).
func ActiveTermCount(meta shm.AtomicBuffer) int32 { return Meta{meta}.ActiveTermCount() }

// SetActiveTermCount stores the active term count (release).
func SetActiveTermCount(meta shm.AtomicBuffer, v int32) { Meta{meta}.SetActiveTermCount(v) }

// CASActiveTermCount compare-and-swaps the active term count.
func CASActiveTermCount(meta shm.AtomicBuffer, expected, v int32) bool {
	return Meta{meta}.CASActiveTermCount(expected, v)
}

// EndOfStreamPosition loads the end-of-stream position (acquire); it is
// MaxInt64 until the end is known.
func EndOfStreamPosition(meta shm.AtomicBuffer) int64 { return Meta{meta}.EndOfStreamPosition() }

// SetEndOfStreamPosition stores the end-of-stream position (release).
func SetEndOfStreamPosition(meta shm.AtomicBuffer, v int64) { Meta{meta}.SetEndOfStreamPosition(v) }

// IsConnected loads the publication's connected flag (acquire).
func IsConnected(meta shm.AtomicBuffer) bool { return Meta{meta}.IsConnected() }

// SetIsConnected stores the connected flag (release).
func SetIsConnected(meta shm.AtomicBuffer, v bool) { Meta{meta}.SetIsConnected(v) }

// ActiveTransportCount loads an image's active transport count (acquire).
func ActiveTransportCount(meta shm.AtomicBuffer) int32 { return Meta{meta}.ActiveTransportCount() }

// SetActiveTransportCount stores the active transport count (release).
func SetActiveTransportCount(meta shm.AtomicBuffer, v int32) { Meta{meta}.SetActiveTransportCount(v) }

// IsPublicationRevoked loads the revoked flag (acquire on its word).
func IsPublicationRevoked(meta shm.AtomicBuffer) bool {
	return meta.GetInt32Volatile(isPublicationRevokedOffset&^3)>>(8*(isPublicationRevokedOffset&3))&0xFF != 0
}

// SetPublicationRevoked sets the revoked flag with release order. The byte
// shares an aligned word with the log type, so the word
// is updated with a bounded CAS loop rather than a plain store.
func SetPublicationRevoked(meta shm.AtomicBuffer, v bool) {
	const word, shift = isPublicationRevokedOffset &^ 3, 8 * (isPublicationRevokedOffset & 3)
	for i := 0; i < 1000; i++ {
		old := meta.GetInt32Volatile(word)
		nv := old&^(0xFF<<shift) | int32(boolByte(v))<<shift
		if meta.CompareAndSetInt32(word, old, nv) {
			return
		}
	}
}

// DefaultFrameHeader is a view of the 32-byte DATA header template.
func DefaultFrameHeader(meta shm.AtomicBuffer) []byte { return Meta{meta}.DefaultFrameHeader() }

// SetDefaultFrameHeader copies hdr (at most 128 bytes) into the template
// and records its length.
func SetDefaultFrameHeader(meta shm.AtomicBuffer, hdr []byte) {
	n := min(len(hdr), DefaultFrameHeaderMaxLength)
	meta.SetMemory(defaultFrameHeaderOffset, DefaultFrameHeaderMaxLength, 0)
	meta.PutBytes(defaultFrameHeaderOffset, hdr[:n])
	meta.PutInt32(defaultFrameHeaderLengthOffset, int32(n))
}

// RotateLog moves the active partition on after the term termCount (with
// id termID) filled up, and reports whether this call advanced the count.
func RotateLog(meta shm.AtomicBuffer, termCount, termID int32) bool {
	return Meta{meta}.RotateLog(termCount, termID)
}

// InitialiseTailWithTermID seeds a partition's raw tail with termID at
// offset 0.
func InitialiseTailWithTermID(meta shm.AtomicBuffer, partition int, termID int32) {
	Meta{meta}.SetRawTail(partition, PackTail(termID, 0))
}

// ComputeTermIDFromPosition is the term id holding position (§2.4).
func ComputeTermIDFromPosition(position int64, bitsToShift uint, initialTermID int32) int32 {
	return TermIDFromPosition(position, bitsToShift, initialTermID)
}

// ComputeTermOffsetFromPosition is the offset of position in its term.
func ComputeTermOffsetFromPosition(position int64, bitsToShift uint) int32 {
	return TermOffsetFromPosition(position, bitsToShift)
}

// TermCount is the number of terms from the initial one to termID,
// wrapping as Aeron's int32 arithmetic does.
func TermCount(termID, initialTermID int32) int32 { return termID - initialTermID }

// ProducerPosition is the position of the active partition's tail.
func ProducerPosition(meta shm.AtomicBuffer) int64 {
	tl := int(TermLengthOf(meta))
	return Meta{meta}.ProducerPosition(tl, PositionBitsToShift(tl))
}
