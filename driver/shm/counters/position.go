package counters

import (
	"encoding/binary"
	"strconv"
)

// Stream key layout: registration id, session id, stream id, channel (at
// most 92 bytes), as aeron_stream_position_counter_key_layout_t.
const maxKeyChannel = MaxKeyLength - 20

// StreamKey builds a stream counter key into dst (112 bytes) and returns it.
func StreamKey(dst []byte, registrationID int64, sessionID, streamID int32, channel string) []byte {
	dst = dst[:MaxKeyLength]
	clear(dst)
	binary.LittleEndian.PutUint64(dst[0:], uint64(registrationID))
	binary.LittleEndian.PutUint32(dst[8:], uint32(sessionID))
	binary.LittleEndian.PutUint32(dst[12:], uint32(streamID))
	if len(channel) > maxKeyChannel {
		channel = channel[:maxKeyChannel]
	}
	binary.LittleEndian.PutUint32(dst[16:], uint32(len(channel)))
	copy(dst[20:], channel)
	return dst[:20+len(channel)]
}

// StreamLabel is Aeron's label of a stream counter:
// "<name>: <registrationId> <sessionId> <streamId> <channel>[ suffix]".
func StreamLabel(name string, registrationID int64, sessionID, streamID int32, channel, suffix string) string {
	l := name + ": " + strconv.FormatInt(registrationID, 10) + " " + strconv.Itoa(int(sessionID)) + " " +
		strconv.Itoa(int(streamID)) + " " + channel
	if suffix != "" {
		l += " " + suffix
	}
	return l
}

// AllocateStream allocates a stream position counter (pub-pos, pub-lmt,
// sub-pos, ...) with Aeron's key and label, owned by ownerID.
func (m *Manager) AllocateStream(typeID int32, name string, registrationID, ownerID int64, sessionID, streamID int32, channel, suffix string) (Counter, error) {
	var key [MaxKeyLength]byte
	id, err := m.Allocate(typeID, StreamKey(key[:], registrationID, sessionID, streamID, channel),
		StreamLabel(name, registrationID, sessionID, streamID, channel, suffix))
	if err != nil {
		return Counter{}, err
	}
	m.SetCounterRegistrationID(id, registrationID)
	m.SetCounterOwnerID(id, ownerID)
	return m.Counter(id), nil
}

// AllocateClientHeartbeat allocates the heartbeat counter a client keeps
// alive by writing the time into it.
func (m *Manager) AllocateClientHeartbeat(clientID int64, nowMs int64) (Counter, error) {
	var key [8]byte
	binary.LittleEndian.PutUint64(key[:], uint64(clientID))
	id, err := m.Allocate(TypeClientHeartbeat, key[:], "client-heartbeat: id="+strconv.FormatInt(clientID, 10))
	if err != nil {
		return Counter{}, err
	}
	m.SetCounterRegistrationID(id, clientID)
	m.SetCounterOwnerID(id, clientID)
	c := m.Counter(id)
	c.Set(nowMs)
	return c, nil
}

// Label prefixes of the stream position counters, as Aeron's drivers write
// them (aeron_position.c, §6.4).
const (
	NamePublisherLimit     = "pub-lmt"
	NameSenderPosition     = "snd-pos"
	NameSenderLimit        = "snd-lmt"
	NameReceiverHWM        = "rcv-hwm"
	NameReceiverPosition   = "rcv-pos"
	NameSubscriberPosition = "sub-pos"
	// Aeron's Java driver names the publisher position by publication
	// kind (checked against it); its C driver writes "pub-pos (sampled)".
	NamePublisherPosConcurrent   = "pub-pos (concurrent)"
	NamePublisherPosExclusive    = "pub-pos (exclusive)"
	NamePublisherPosSampled      = "pub-pos (sampled)"
	NameSenderBPE                = "snd-bpe"
	NameSenderNaksReceived       = "snd-naks-received"
	NameReceiverNaksSent         = "rcv-naks-sent"
	NameSendChannelStatus        = "snd-channel"
	NameReceiveChannelStatus     = "rcv-channel"
	NameClientHeartbeatTimestamp = "client-heartbeat"
)

// AllocatePosition allocates a stream position counter with the stream key
// (registration id, session id, stream id, channel) and the label
// "<name>: <registrationID> <sessionID> <streamID> <channel>". The owner is
// left 0; the conductor sets it with SetCounterOwnerID.
func (m *Manager) AllocatePosition(typeID int32, name string, registrationID int64, sessionID, streamID int32, channel string) (Counter, error) {
	return m.AllocateStream(typeID, name, registrationID, 0, sessionID, streamID, channel, "")
}

// AllocateSubscriberPosition allocates a sub-pos counter, whose label ends
// with "@<joinPosition>" (aeron_position.c).
func (m *Manager) AllocateSubscriberPosition(registrationID, ownerID int64, sessionID, streamID int32, channel string, joinPosition int64) (Counter, error) {
	return m.AllocateStream(TypeSubscriberPosition, NameSubscriberPosition, registrationID, ownerID, sessionID, streamID, channel,
		"@"+strconv.FormatInt(joinPosition, 10))
}

// AllocateChannelStatus allocates a send or receive channel status counter
// with the channel key (int32 length, channel bytes; §6.4) and the label
// "<name>: <channel>", starting INITIALIZING.
func (m *Manager) AllocateChannelStatus(typeID int32, name string, registrationID int64, channel string) (Counter, error) {
	var key [MaxKeyLength]byte
	ch := channel
	if len(ch) > MaxKeyLength-4 {
		ch = ch[:MaxKeyLength-4]
	}
	binary.LittleEndian.PutUint32(key[:], uint32(len(ch)))
	copy(key[4:], ch)
	id, err := m.Allocate(typeID, key[:4+len(ch)], name+": "+channel)
	if err != nil {
		return Counter{}, err
	}
	m.SetCounterRegistrationID(id, registrationID)
	c := m.Counter(id)
	c.Set(ChannelStatusInitializing)
	return c, nil
}
