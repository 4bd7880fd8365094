package protocol

// Setup is a SETUP frame: a sender announcing a stream.
type Setup struct {
	Flags         uint8
	TermOffset    int32
	SessionID     int32
	StreamID      int32
	InitialTermID int32
	ActiveTermID  int32
	TermLength    int32
	MTU           int32
	TTL           int32
}

// DecodeSetup reads a SETUP frame.
func DecodeSetup(b []byte) (Setup, error) {
	if err := check(b, TypeSetup, SetupLength); err != nil {
		return Setup{}, err
	}
	return Setup{
		Flags:         b[5],
		TermOffset:    int32(le.Uint32(b[8:])),
		SessionID:     int32(le.Uint32(b[12:])),
		StreamID:      int32(le.Uint32(b[16:])),
		InitialTermID: int32(le.Uint32(b[20:])),
		ActiveTermID:  int32(le.Uint32(b[24:])),
		TermLength:    int32(le.Uint32(b[28:])),
		MTU:           int32(le.Uint32(b[32:])),
		TTL:           int32(le.Uint32(b[36:])),
	}, nil
}

// Valid applies the receiver's checks of a SETUP
// (aeron_receive_channel_endpoint_is_valid_setup).
func (s Setup) Valid() bool {
	return s.TermLength >= 64*1024 && s.TermLength <= 1<<30 && s.TermLength&(s.TermLength-1) == 0 &&
		s.TermOffset >= 0 && s.TermOffset < s.TermLength && s.TermOffset%FrameAlignment == 0 &&
		s.MTU >= DataHeaderLength && s.MTU <= MaxUDPPayload && s.MTU%FrameAlignment == 0
}

// Encode writes the frame into b and returns its length.
func (s Setup) Encode(b []byte) int {
	_ = b[SetupLength-1]
	putHeader(b, SetupLength, s.Flags, TypeSetup)
	le.PutUint32(b[8:], uint32(s.TermOffset))
	le.PutUint32(b[12:], uint32(s.SessionID))
	le.PutUint32(b[16:], uint32(s.StreamID))
	le.PutUint32(b[20:], uint32(s.InitialTermID))
	le.PutUint32(b[24:], uint32(s.ActiveTermID))
	le.PutUint32(b[28:], uint32(s.TermLength))
	le.PutUint32(b[32:], uint32(s.MTU))
	le.PutUint32(b[36:], uint32(s.TTL))
	return SetupLength
}

// StatusMessage is an SM frame: a receiver's consumption position and window.
type StatusMessage struct {
	Flags                 uint8
	SessionID             int32
	StreamID              int32
	ConsumptionTermID     int32
	ConsumptionTermOffset int32
	ReceiverWindow        int32
	ReceiverID            int64
	// GroupTag is meaningful only when HasGroupTag is set (a 44-byte SM).
	GroupTag    int64
	HasGroupTag bool
}

// DecodeStatusMessage reads an SM; the group tag is present only when the
// frame length is exactly 44, as Aeron's C driver reads it.
func DecodeStatusMessage(b []byte) (StatusMessage, error) {
	if err := check(b, TypeSM, SMLength); err != nil {
		return StatusMessage{}, err
	}
	sm := StatusMessage{
		Flags:                 b[5],
		SessionID:             int32(le.Uint32(b[8:])),
		StreamID:              int32(le.Uint32(b[12:])),
		ConsumptionTermID:     int32(le.Uint32(b[16:])),
		ConsumptionTermOffset: int32(le.Uint32(b[20:])),
		ReceiverWindow:        int32(le.Uint32(b[24:])),
		ReceiverID:            int64(le.Uint64(b[28:])),
	}
	if le.Uint32(b[0:]) == SMWithGroupTagLength && len(b) >= SMWithGroupTagLength {
		sm.GroupTag = int64(le.Uint64(b[36:]))
		sm.HasGroupTag = true
	}
	return sm, nil
}

// Encode writes the SM (44 bytes with a group tag, else 36) into b.
func (sm StatusMessage) Encode(b []byte) int {
	n := SMLength
	if sm.HasGroupTag {
		n = SMWithGroupTagLength
	}
	_ = b[n-1]
	putHeader(b, int32(n), sm.Flags, TypeSM)
	le.PutUint32(b[8:], uint32(sm.SessionID))
	le.PutUint32(b[12:], uint32(sm.StreamID))
	le.PutUint32(b[16:], uint32(sm.ConsumptionTermID))
	le.PutUint32(b[20:], uint32(sm.ConsumptionTermOffset))
	le.PutUint32(b[24:], uint32(sm.ReceiverWindow))
	le.PutUint64(b[28:], uint64(sm.ReceiverID))
	if sm.HasGroupTag {
		le.PutUint64(b[36:], uint64(sm.GroupTag))
	}
	return n
}

// Nak is a NAK frame: a receiver asking for a range to be retransmitted.
type Nak struct {
	SessionID  int32
	StreamID   int32
	TermID     int32
	TermOffset int32
	Length     int32
}

// DecodeNak reads a NAK.
func DecodeNak(b []byte) (Nak, error) {
	if err := check(b, TypeNak, NakLength); err != nil {
		return Nak{}, err
	}
	return Nak{
		SessionID:  int32(le.Uint32(b[8:])),
		StreamID:   int32(le.Uint32(b[12:])),
		TermID:     int32(le.Uint32(b[16:])),
		TermOffset: int32(le.Uint32(b[20:])),
		Length:     int32(le.Uint32(b[24:])),
	}, nil
}

// Valid applies the sender's checks of a NAK against the publication's term
// length (aeron_send_channel_endpoint_is_valid_nak).
func (n Nak) Valid(termLength int32) bool {
	return n.TermOffset >= 0 && n.TermOffset < termLength && n.TermOffset%FrameAlignment == 0 &&
		n.Length >= 0 && int64(n.TermOffset)+int64(n.Length) <= int64(termLength)
}

// Encode writes the NAK into b.
func (n Nak) Encode(b []byte) int {
	_ = b[NakLength-1]
	putHeader(b, NakLength, 0, TypeNak)
	le.PutUint32(b[8:], uint32(n.SessionID))
	le.PutUint32(b[12:], uint32(n.StreamID))
	le.PutUint32(b[16:], uint32(n.TermID))
	le.PutUint32(b[20:], uint32(n.TermOffset))
	le.PutUint32(b[24:], uint32(n.Length))
	return NakLength
}

// ErrorFrame is an ERR frame: a receiver rejecting a stream.
type ErrorFrame struct {
	Flags      uint8
	SessionID  int32
	StreamID   int32
	ReceiverID int64
	GroupTag   int64
	ErrorCode  int32
	// Text is a view into the decoded datagram, valid as long as it is.
	Text []byte
}

// DecodeError reads an ERR frame and its text.
func DecodeError(b []byte) (ErrorFrame, error) {
	if err := check(b, TypeErr, ErrHeaderLength); err != nil {
		return ErrorFrame{}, err
	}
	frameLength := int(int32(le.Uint32(b[0:])))
	textLength := int(int32(le.Uint32(b[36:])))
	if textLength < 0 || textLength > MaxErrorTextLength || ErrHeaderLength+textLength > frameLength || frameLength > len(b) {
		return ErrorFrame{}, ErrField
	}
	return ErrorFrame{
		Flags:      b[5],
		SessionID:  int32(le.Uint32(b[8:])),
		StreamID:   int32(le.Uint32(b[12:])),
		ReceiverID: int64(le.Uint64(b[16:])),
		GroupTag:   int64(le.Uint64(b[24:])),
		ErrorCode:  int32(le.Uint32(b[32:])),
		Text:       b[ErrHeaderLength : ErrHeaderLength+textLength],
	}, nil
}

// Encode writes the ERR frame into b, truncating the text to 1023 bytes,
// and returns its length. b must hold 40 bytes plus the text.
func (e ErrorFrame) Encode(b []byte) int {
	text := e.Text
	if len(text) > MaxErrorTextLength {
		text = text[:MaxErrorTextLength]
	}
	n := ErrHeaderLength + len(text)
	_ = b[n-1]
	putHeader(b, int32(n), e.Flags, TypeErr)
	le.PutUint32(b[8:], uint32(e.SessionID))
	le.PutUint32(b[12:], uint32(e.StreamID))
	le.PutUint64(b[16:], uint64(e.ReceiverID))
	le.PutUint64(b[24:], uint64(e.GroupTag))
	le.PutUint32(b[32:], uint32(e.ErrorCode))
	le.PutUint32(b[36:], uint32(len(text)))
	copy(b[ErrHeaderLength:], text)
	return n
}

// RTTM is a round-trip-time measurement frame.
type RTTM struct {
	Flags          uint8
	SessionID      int32
	StreamID       int32
	EchoTimestamp  int64
	ReceptionDelta int64
	ReceiverID     int64
}

// DecodeRTTM reads an RTTM frame.
func DecodeRTTM(b []byte) (RTTM, error) {
	if err := check(b, TypeRTTM, RTTMLength); err != nil {
		return RTTM{}, err
	}
	return RTTM{
		Flags:          b[5],
		SessionID:      int32(le.Uint32(b[8:])),
		StreamID:       int32(le.Uint32(b[12:])),
		EchoTimestamp:  int64(le.Uint64(b[16:])),
		ReceptionDelta: int64(le.Uint64(b[24:])),
		ReceiverID:     int64(le.Uint64(b[32:])),
	}, nil
}

// Encode writes the RTTM frame into b.
func (r RTTM) Encode(b []byte) int {
	_ = b[RTTMLength-1]
	putHeader(b, RTTMLength, r.Flags, TypeRTTM)
	le.PutUint32(b[8:], uint32(r.SessionID))
	le.PutUint32(b[12:], uint32(r.StreamID))
	le.PutUint64(b[16:], uint64(r.EchoTimestamp))
	le.PutUint64(b[24:], uint64(r.ReceptionDelta))
	le.PutUint64(b[32:], uint64(r.ReceiverID))
	return RTTMLength
}

// ResponseSetup is a response SETUP frame (response channels).
type ResponseSetup struct {
	SessionID         int32
	StreamID          int32
	ResponseSessionID int32
}

// DecodeResponseSetup reads a response SETUP frame.
func DecodeResponseSetup(b []byte) (ResponseSetup, error) {
	if err := check(b, TypeResponseSetup, ResponseSetupLength); err != nil {
		return ResponseSetup{}, err
	}
	return ResponseSetup{
		SessionID:         int32(le.Uint32(b[8:])),
		StreamID:          int32(le.Uint32(b[12:])),
		ResponseSessionID: int32(le.Uint32(b[16:])),
	}, nil
}

// Encode writes the frame into b.
func (r ResponseSetup) Encode(b []byte) int {
	_ = b[ResponseSetupLength-1]
	putHeader(b, ResponseSetupLength, 0, TypeResponseSetup)
	le.PutUint32(b[8:], uint32(r.SessionID))
	le.PutUint32(b[12:], uint32(r.StreamID))
	le.PutUint32(b[16:], uint32(r.ResponseSessionID))
	return ResponseSetupLength
}

// check verifies the version, type and fixed length of a control frame.
func check(b []byte, typ uint16, length int) error {
	if len(b) < length {
		return ErrTruncated
	}
	if b[4] != CurrentVersion {
		return ErrVersion
	}
	if le.Uint16(b[6:]) != typ {
		return ErrWrongType
	}
	if fl := int32(le.Uint32(b[0:])); fl < int32(length) || int(fl) > len(b) {
		return ErrFrameLength
	}
	return nil
}
