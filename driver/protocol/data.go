package protocol

// DataHeader is the 32-byte header of DATA and PAD frames.
type DataHeader struct {
	FrameLength   int32
	Flags         uint8
	Type          uint16
	TermOffset    int32
	SessionID     int32
	StreamID      int32
	TermID        int32
	ReservedValue int64
}

// DecodeDataHeader reads a DATA or PAD header from the start of b.
func DecodeDataHeader(b []byte) (DataHeader, error) {
	if len(b) < DataHeaderLength {
		return DataHeader{}, ErrTruncated
	}
	if b[4] != CurrentVersion {
		return DataHeader{}, ErrVersion
	}
	h := DataHeader{
		FrameLength:   int32(le.Uint32(b[0:])),
		Flags:         b[5],
		Type:          le.Uint16(b[6:]),
		TermOffset:    int32(le.Uint32(b[8:])),
		SessionID:     int32(le.Uint32(b[12:])),
		StreamID:      int32(le.Uint32(b[16:])),
		TermID:        int32(le.Uint32(b[20:])),
		ReservedValue: int64(le.Uint64(b[24:])),
	}
	if h.Type != TypeData && h.Type != TypePad {
		return h, ErrWrongType
	}
	return h, nil
}

// Encode writes the header into b[:32] and returns 32. It panics only if b is
// shorter than 32 bytes, which is a programming error.
func (h DataHeader) Encode(b []byte) int {
	_ = b[DataHeaderLength-1]
	putHeader(b, h.FrameLength, h.Flags, h.Type)
	le.PutUint32(b[8:], uint32(h.TermOffset))
	le.PutUint32(b[12:], uint32(h.SessionID))
	le.PutUint32(b[16:], uint32(h.StreamID))
	le.PutUint32(b[20:], uint32(h.TermID))
	le.PutUint64(b[24:], uint64(h.ReservedValue))
	return DataHeaderLength
}

// IsHeartbeat reports whether a DATA datagram is a heartbeat: exactly one
// header with a zero frame length.
func IsHeartbeat(datagram []byte) bool {
	return len(datagram) == DataHeaderLength &&
		le.Uint16(datagram[6:]) == TypeData &&
		le.Uint32(datagram[0:]) == 0
}

// IsEndOfStream reports whether a heartbeat carries the EOS flag.
func IsEndOfStream(datagram []byte) bool {
	return IsHeartbeat(datagram) && datagram[5]&FlagEOS != 0
}

// ScanDataDatagram walks the frames of a DATA/PAD datagram destined for a
// term of termLength bytes, applying the receiver's checks
// (aeron_publication_image_validate_packet): every frame has a positive
// length, type DATA or PAD, the expected term offset, and stays inside the
// term; the frames consume the datagram exactly, except that a final PAD may
// extend past it. It returns the number of term bytes the datagram covers,
// counting a trailing PAD's full aligned length. A heartbeat covers 0 bytes.
func ScanDataDatagram(datagram []byte, termLength int32) (int32, error) {
	if len(datagram) < DataHeaderLength || len(datagram)%FrameAlignment != 0 {
		return 0, ErrAlignment
	}
	first, err := DecodeDataHeader(datagram)
	if err != nil {
		return 0, err
	}
	if first.TermOffset < 0 || first.TermOffset >= termLength || first.TermOffset%FrameAlignment != 0 {
		return 0, ErrField
	}
	if IsHeartbeat(datagram) {
		return 0, nil
	}
	offset := 0
	expected := first.TermOffset
	for offset < len(datagram) {
		if len(datagram)-offset < DataHeaderLength {
			return 0, ErrTruncated
		}
		b := datagram[offset:]
		frameLength := int32(le.Uint32(b[0:]))
		typ := le.Uint16(b[6:])
		if frameLength <= 0 || (typ != TypeData && typ != TypePad) || b[4] != CurrentVersion {
			return 0, ErrFrameLength
		}
		if int32(le.Uint32(b[8:])) != expected {
			return 0, ErrField
		}
		aligned := int32(Align(int(frameLength), FrameAlignment))
		if aligned <= 0 || int64(expected)+int64(aligned) > int64(termLength) {
			return 0, ErrField
		}
		if int(aligned) > len(datagram)-offset {
			if typ == TypePad {
				return expected + aligned - first.TermOffset, nil
			}
			return 0, ErrTruncated
		}
		offset += int(aligned)
		expected += aligned
	}
	return expected - first.TermOffset, nil
}
