package protocol

import (
	"encoding/binary"
	"errors"
)

// Frame type codes (aeron_udp_protocol.h).
const (
	TypePad           uint16 = 0x00
	TypeData          uint16 = 0x01
	TypeNak           uint16 = 0x02
	TypeSM            uint16 = 0x03
	TypeErr           uint16 = 0x04
	TypeSetup         uint16 = 0x05
	TypeRTTM          uint16 = 0x06
	TypeRes           uint16 = 0x07
	TypeATSData       uint16 = 0x08
	TypeATSSetup      uint16 = 0x09
	TypeATSSM         uint16 = 0x0A
	TypeResponseSetup uint16 = 0x0B
	TypeExt           uint16 = 0xFFFF
)

// Frame lengths and alignment.
const (
	// CurrentVersion is the only frame version Aeron speaks.
	CurrentVersion = 0
	// FrameAlignment is the alignment of frames in a term and of data
	// datagrams on the wire.
	FrameAlignment = 32
	// MaxUDPPayload is the largest MTU Aeron accepts.
	MaxUDPPayload = 65504

	HeaderLength         = 8
	DataHeaderLength     = 32
	SetupLength          = 40
	SMLength             = 36
	SMWithGroupTagLength = 44
	NakLength            = 28
	ErrHeaderLength      = 40
	RTTMLength           = 40
	ResponseSetupLength  = 20
	// ResMinLength is a RES header plus the smallest resolution entry
	// (aeron_is_frame_valid's minimum).
	ResMinLength = HeaderLength + 14
	// MaxErrorTextLength bounds the text of an ERR frame.
	MaxErrorTextLength = 1023
)

// DATA frame flags.
const (
	FlagBegin   uint8 = 0x80
	FlagEnd     uint8 = 0x40
	FlagEOS     uint8 = 0x20
	FlagRevoked uint8 = 0x10
	// FlagsUnfragmented marks a message carried in one frame.
	FlagsUnfragmented = FlagBegin | FlagEnd
)

// SM, SETUP, RTTM and ERR flags.
const (
	SMFlagSendSetup       uint8 = 0x80
	SMFlagEOS             uint8 = 0x40
	SetupFlagSendResponse uint8 = 0x80
	SetupFlagGroup        uint8 = 0x40
	RTTMFlagReply         uint8 = 0x80
	ErrFlagHasGroupTag    uint8 = 0x08
)

// Errors returned by Validate and the decoders. They are sentinels so that
// counting an invalid datagram allocates nothing.
var (
	ErrTruncated   = errors.New("protocol: frame truncated")
	ErrVersion     = errors.New("protocol: unsupported frame version")
	ErrFrameLength = errors.New("protocol: bad frame length")
	ErrUnknownType = errors.New("protocol: unknown frame type")
	ErrAlignment   = errors.New("protocol: data datagram not 32-byte aligned")
	ErrWrongType   = errors.New("protocol: unexpected frame type")
	ErrField       = errors.New("protocol: field out of range")
)

var le = binary.LittleEndian

// Header is the common 8-byte frame header.
type Header struct {
	FrameLength int32
	Version     uint8
	Flags       uint8
	Type        uint16
}

// DecodeHeader reads the common header of b.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLength {
		return Header{}, ErrTruncated
	}
	return Header{
		FrameLength: int32(le.Uint32(b[0:])),
		Version:     b[4],
		Flags:       b[5],
		Type:        le.Uint16(b[6:]),
	}, nil
}

func putHeader(b []byte, frameLength int32, flags uint8, typ uint16) {
	le.PutUint32(b[0:], uint32(frameLength))
	b[4] = CurrentVersion
	b[5] = flags
	le.PutUint16(b[6:], typ)
}

// minLength is the fixed header size of each known type.
func minLength(typ uint16) (int, bool) {
	switch typ {
	case TypePad, TypeData:
		return DataHeaderLength, true
	case TypeNak:
		return NakLength, true
	case TypeSM:
		return SMLength, true
	case TypeErr:
		return ErrHeaderLength, true
	case TypeSetup:
		return SetupLength, true
	case TypeRTTM:
		return RTTMLength, true
	case TypeRes:
		return ResMinLength, true
	case TypeResponseSetup:
		return ResponseSetupLength, true
	}
	return 0, false
}

// Validate applies the checks a driver makes to every datagram it receives
// (aeron_is_frame_valid) and returns the frame type. DATA and PAD datagrams
// must be at least one data header long and a multiple of 32 bytes; other
// types must hold their fixed header and no more than the datagram.
func Validate(datagram []byte) (uint16, error) {
	h, err := DecodeHeader(datagram)
	if err != nil {
		return 0, err
	}
	if h.Version != CurrentVersion {
		return h.Type, ErrVersion
	}
	if h.FrameLength < 0 {
		return h.Type, ErrFrameLength
	}
	min, known := minLength(h.Type)
	if !known {
		return h.Type, ErrUnknownType
	}
	if len(datagram) < min {
		return h.Type, ErrTruncated
	}
	if h.Type == TypeData || h.Type == TypePad {
		if len(datagram)%FrameAlignment != 0 {
			return h.Type, ErrAlignment
		}
		return h.Type, nil
	}
	if int(h.FrameLength) > len(datagram) {
		return h.Type, ErrFrameLength
	}
	return h.Type, nil
}

// Align rounds v up to a multiple of alignment (a power of two).
func Align(v, alignment int) int { return (v + alignment - 1) &^ (alignment - 1) }
