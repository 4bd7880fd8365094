package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Header lengths of the frames Build writes (no VLAN tag, no IP options).
const (
	EthernetHeaderLength = 14
	IPv4HeaderLength     = 20
	UDPHeaderLength      = 8
	// HeadersLength is the overhead Build adds in front of a payload.
	HeadersLength = EthernetHeaderLength + IPv4HeaderLength + UDPHeaderLength
)

// EtherTypes and the IP protocol number this package understands.
const (
	EtherTypeIPv4   = 0x0800
	EtherTypeIPv6   = 0x86DD
	EtherTypeARP    = 0x0806
	EtherTypeVLAN   = 0x8100 // 802.1Q
	EtherTypeQinQ   = 0x88A8 // 802.1ad
	ProtocolUDP     = 17
	DefaultTTL      = 64
	ipv4FlagsMFMask = 0x2000
	ipv4OffsetMask  = 0x1FFF
)

// MAC is an Ethernet hardware address.
type MAC [6]byte

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// Errors returned by Build and Parse; they are values so that the hot path
// does not allocate when it reports them.
var (
	ErrShort     = errors.New("frame: buffer too short")
	ErrNotIPv4   = errors.New("frame: not IPv4 source and destination")
	ErrNotUDP    = errors.New("frame: not a UDP datagram")
	ErrFragment  = errors.New("frame: IP fragment")
	ErrMalformed = errors.New("frame: malformed header")
	ErrChecksum  = errors.New("frame: bad checksum")
)

// MulticastMAC maps an IPv4 multicast group to its Ethernet address:
// 01:00:5e followed by the group's low 23 bits (RFC 1112, section 6.4).
func MulticastMAC(group netip.Addr) MAC {
	a := group.As4()
	return MAC{0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]}
}

// Endpoints are the addresses a frame goes between.
type Endpoints struct {
	SrcMAC, DstMAC MAC
	Src, Dst       netip.AddrPort
	// TTL of the IP header; 0 means DefaultTTL.
	TTL uint8
	// NoUDPChecksum leaves the UDP checksum zero, which IPv4 allows
	// (RFC 768), for devices that would otherwise spend the time.
	NoUDPChecksum bool
}

// Build writes an Ethernet/IPv4/UDP frame carrying payload into dst and
// returns the frame's length. id is the IPv4 identification field.
func Build(dst []byte, e *Endpoints, id uint16, payload []byte) (int, error) {
	n := HeadersLength + len(payload)
	if len(dst) < n {
		return 0, ErrShort
	}
	if n-EthernetHeaderLength > 0xFFFF {
		return 0, ErrMalformed
	}
	if !e.Src.Addr().Is4() || !e.Dst.Addr().Is4() {
		return 0, ErrNotIPv4
	}
	copy(dst[HeadersLength:n], payload)
	WriteHeaders(dst[:n], e, id, len(payload))
	return n, nil
}

// WriteHeaders writes the headers of a frame whose payload is already in
// place at dst[HeadersLength:HeadersLength+payloadLength], so that callers
// may build the payload straight into the frame. dst must hold the frame and
// the addresses must be IPv4 (Build checks both).
func WriteHeaders(dst []byte, e *Endpoints, id uint16, payloadLength int) {
	copy(dst[0:6], e.DstMAC[:])
	copy(dst[6:12], e.SrcMAC[:])
	binary.BigEndian.PutUint16(dst[12:14], EtherTypeIPv4)

	ip := dst[EthernetHeaderLength : EthernetHeaderLength+IPv4HeaderLength]
	ttl := e.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	src4, dst4 := e.Src.Addr().As4(), e.Dst.Addr().As4()
	ip[0] = 0x45 // version 4, 5 words of header
	ip[1] = 0
	binary.BigEndian.PutUint16(ip[2:4], uint16(IPv4HeaderLength+UDPHeaderLength+payloadLength))
	binary.BigEndian.PutUint16(ip[4:6], id)
	binary.BigEndian.PutUint16(ip[6:8], 0x4000) // don't fragment
	ip[8] = ttl
	ip[9] = ProtocolUDP
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src4[:])
	copy(ip[16:20], dst4[:])
	binary.BigEndian.PutUint16(ip[10:12], ^fold(sum(ip, 0)))

	udp := dst[EthernetHeaderLength+IPv4HeaderLength : HeadersLength+payloadLength]
	binary.BigEndian.PutUint16(udp[0:2], e.Src.Port())
	binary.BigEndian.PutUint16(udp[2:4], e.Dst.Port())
	binary.BigEndian.PutUint16(udp[4:6], uint16(len(udp)))
	udp[6], udp[7] = 0, 0
	if !e.NoUDPChecksum {
		c := ^fold(sum(udp, pseudoSum(ip[12:16], ip[16:20], len(udp))))
		if c == 0 {
			c = 0xFFFF // zero means "no checksum" (RFC 768)
		}
		binary.BigEndian.PutUint16(udp[6:8], c)
	}
}

// Datagram is a parsed UDP datagram; Payload aliases the frame.
type Datagram struct {
	SrcMAC, DstMAC MAC
	Src, Dst       netip.AddrPort
	Payload        []byte
	// VLANs is the number of VLAN tags skipped.
	VLANs int
}

// Parse decodes an Ethernet frame holding an IPv4 UDP datagram. It checks
// the IPv4 header checksum and, when present, the UDP checksum, and
// returns an error for anything else, including fragments.
func Parse(b []byte, d *Datagram) error { return parse(b, d, true) }

// ParseOffloaded is Parse without the UDP checksum check, for frames from a
// device that offloads it: on veth a local sender's datagram arrives with
// the checksum still partial (only the pseudo-header sum), so checking it
// would reject every datagram. The IPv4 header checksum is still checked.
func ParseOffloaded(b []byte, d *Datagram) error { return parse(b, d, false) }

func parse(b []byte, d *Datagram, checkUDP bool) error {
	if len(b) < EthernetHeaderLength {
		return ErrShort
	}
	copy(d.DstMAC[:], b[0:6])
	copy(d.SrcMAC[:], b[6:12])
	off := 12
	etype := binary.BigEndian.Uint16(b[off:])
	d.VLANs = 0
	for (etype == EtherTypeVLAN || etype == EtherTypeQinQ) && d.VLANs < 2 {
		off += 4
		if len(b) < off+2 {
			return ErrShort
		}
		etype = binary.BigEndian.Uint16(b[off:])
		d.VLANs++
	}
	off += 2
	if etype != EtherTypeIPv4 {
		return ErrNotIPv4
	}
	if len(b) < off+IPv4HeaderLength {
		return ErrShort
	}
	ip := b[off:]
	if ip[0]>>4 != 4 {
		return ErrMalformed
	}
	ihl := int(ip[0]&0x0F) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < IPv4HeaderLength || total < ihl+UDPHeaderLength || len(ip) < total {
		return ErrMalformed
	}
	ip = ip[:total] // Ethernet may pad short frames
	if fold(sum(ip[:ihl], 0)) != 0xFFFF {
		return ErrChecksum
	}
	fo := binary.BigEndian.Uint16(ip[6:8])
	if fo&ipv4FlagsMFMask != 0 || fo&ipv4OffsetMask != 0 {
		return ErrFragment
	}
	if ip[9] != ProtocolUDP {
		return ErrNotUDP
	}
	udp := ip[ihl:]
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	if ulen < UDPHeaderLength || ulen > len(udp) {
		return ErrMalformed
	}
	udp = udp[:ulen]
	if checkUDP && binary.BigEndian.Uint16(udp[6:8]) != 0 && fold(sum(udp, pseudoSum(ip[12:16], ip[16:20], ulen))) != 0xFFFF {
		return ErrChecksum
	}
	d.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(udp[0:2]))
	d.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(udp[2:4]))
	d.Payload = udp[UDPHeaderLength:]
	return nil
}

// sum adds b as big-endian 16-bit words to acc (RFC 1071); the caller folds.
func sum(b []byte, acc uint64) uint64 {
	for len(b) >= 8 {
		acc += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// fold reduces a ones'-complement sum to 16 bits.
func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = (acc & 0xFFFF) + acc>>16
	}
	return uint16(acc)
}

// pseudoSum is the UDP pseudo-header sum over IPv4 addresses (RFC 768).
func pseudoSum(src, dst []byte, udpLength int) uint64 {
	return sum(src, 0) + sum(dst, 0) + ProtocolUDP + uint64(udpLength)
}
