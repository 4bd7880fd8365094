package protocol

import "net/netip"

// Resolution entry types and flags (RES frames of the driver name resolver).
const (
	ResTypeIPv4       int8  = 0x01
	ResTypeIPv6       int8  = 0x02
	ResFlagSelf       uint8 = 0x80
	MaxResNameLength        = 512
	resEntryIPv4Fixed       = 14
	resEntryIPv6Fixed       = 26
)

// ResolutionEntry is one name-to-address entry of a RES frame.
type ResolutionEntry struct {
	Type    int8
	Flags   uint8
	Port    uint16
	AgeMs   int32
	Address netip.Addr
	// Name is a view into the datagram.
	Name []byte
}

// NextResolutionEntry decodes the entry at the start of b (the bytes after
// the 8-byte RES header, or after the previous entry) and returns it with
// its padded length, so callers iterate without allocating.
func NextResolutionEntry(b []byte) (ResolutionEntry, int, error) {
	if len(b) < resEntryIPv4Fixed {
		return ResolutionEntry{}, 0, ErrTruncated
	}
	e := ResolutionEntry{Type: int8(b[0]), Flags: b[1], Port: le.Uint16(b[2:]), AgeMs: int32(le.Uint32(b[4:]))}
	var fixed int
	switch e.Type {
	case ResTypeIPv4:
		fixed = resEntryIPv4Fixed
		e.Address = netip.AddrFrom4([4]byte(b[8:12]))
	case ResTypeIPv6:
		fixed = resEntryIPv6Fixed
		if len(b) < fixed {
			return ResolutionEntry{}, 0, ErrTruncated
		}
		e.Address = netip.AddrFrom16([16]byte(b[8:24]))
	default:
		return ResolutionEntry{}, 0, ErrField
	}
	nameLength := int(int16(le.Uint16(b[fixed-2:])))
	if nameLength < 0 || nameLength > MaxResNameLength || fixed+nameLength > len(b) {
		return ResolutionEntry{}, 0, ErrField
	}
	e.Name = b[fixed : fixed+nameLength]
	n := Align(fixed+nameLength, 8)
	if n > len(b) {
		n = len(b)
	}
	return e, n, nil
}

// EncodeResolutionEntry writes an entry into b and returns its padded
// length, or 0 if it does not fit or the name is too long.
func EncodeResolutionEntry(b []byte, e ResolutionEntry) int {
	fixed := resEntryIPv4Fixed
	if e.Address.Is6() && !e.Address.Is4In6() {
		fixed = resEntryIPv6Fixed
	}
	n := Align(fixed+len(e.Name), 8)
	if len(e.Name) > MaxResNameLength || n > len(b) {
		return 0
	}
	clear(b[:n])
	b[1] = e.Flags
	le.PutUint16(b[2:], e.Port)
	le.PutUint32(b[4:], uint32(e.AgeMs))
	if fixed == resEntryIPv4Fixed {
		b[0] = byte(ResTypeIPv4)
		a := e.Address.Unmap().As4()
		copy(b[8:12], a[:])
	} else {
		b[0] = byte(ResTypeIPv6)
		a := e.Address.As16()
		copy(b[8:24], a[:])
	}
	le.PutUint16(b[fixed-2:], uint16(len(e.Name)))
	copy(b[fixed:], e.Name)
	return n
}

// PutResHeader writes the 8-byte RES header for a frame of frameLength bytes.
func PutResHeader(b []byte, frameLength int) {
	putHeader(b, int32(frameLength), 0, TypeRes)
}
