package frame

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// ARP operations (RFC 826).
const (
	ARPRequest = 1
	ARPReply   = 2
)

// arpLength is the ARP message for Ethernet and IPv4: hardware type,
// protocol type, their lengths, operation, and two address pairs.
const arpLength = 28

// ErrNotARP is returned for frames that are not Ethernet/IPv4 ARP.
var ErrNotARP = errors.New("frame: not an Ethernet/IPv4 ARP message")

// ARP is an ARP message for IPv4 over Ethernet.
type ARP struct {
	Op        uint16
	SenderMAC MAC
	SenderIP  netip.Addr
	TargetMAC MAC
	TargetIP  netip.Addr
}

// ParseARP decodes an untagged Ethernet frame holding an ARP message.
func ParseARP(b []byte, a *ARP) error {
	if len(b) < EthernetHeaderLength+arpLength {
		return ErrShort
	}
	if binary.BigEndian.Uint16(b[12:14]) != EtherTypeARP {
		return ErrNotARP
	}
	m := b[EthernetHeaderLength:]
	if binary.BigEndian.Uint16(m[0:2]) != 1 || binary.BigEndian.Uint16(m[2:4]) != EtherTypeIPv4 || m[4] != 6 || m[5] != 4 {
		return ErrNotARP
	}
	a.Op = binary.BigEndian.Uint16(m[6:8])
	copy(a.SenderMAC[:], m[8:14])
	a.SenderIP = netip.AddrFrom4([4]byte(m[14:18]))
	copy(a.TargetMAC[:], m[18:24])
	a.TargetIP = netip.AddrFrom4([4]byte(m[24:28]))
	return nil
}

// BuildARP writes an ARP message in a frame from srcMAC to dstMAC (the
// broadcast address for a request), padded to the Ethernet minimum, and
// returns its length.
func BuildARP(dst []byte, srcMAC, dstMAC MAC, a *ARP) (int, error) {
	if len(dst) < MinFrameLength {
		return 0, ErrShort
	}
	if !a.SenderIP.Is4() || !a.TargetIP.Is4() {
		return 0, ErrNotIPv4
	}
	copy(dst[0:6], dstMAC[:])
	copy(dst[6:12], srcMAC[:])
	binary.BigEndian.PutUint16(dst[12:14], EtherTypeARP)
	m := dst[EthernetHeaderLength:]
	binary.BigEndian.PutUint16(m[0:2], 1) // Ethernet
	binary.BigEndian.PutUint16(m[2:4], EtherTypeIPv4)
	m[4], m[5] = 6, 4
	binary.BigEndian.PutUint16(m[6:8], a.Op)
	copy(m[8:14], a.SenderMAC[:])
	s, t := a.SenderIP.As4(), a.TargetIP.As4()
	copy(m[14:18], s[:])
	copy(m[18:24], a.TargetMAC[:])
	copy(m[24:28], t[:])
	return pad(dst, EthernetHeaderLength+arpLength), nil
}
