package frame

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers of the control messages a backend that owns the
// NIC answers itself.
const (
	ProtocolICMP = 1
	ProtocolIGMP = 2
)

// MinFrameLength is the shortest Ethernet frame without its FCS (IEEE
// 802.3): shorter frames are padded to it.
const MinFrameLength = 60

// BroadcastMAC is the Ethernet broadcast address.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// IPv4Packet is a parsed IPv4 packet of any protocol in an untagged
// Ethernet frame; Header and Payload alias the frame.
type IPv4Packet struct {
	SrcMAC, DstMAC MAC
	Src, Dst       netip.Addr
	Protocol       uint8
	TTL            uint8
	// Header is the IPv4 header with its options.
	Header []byte
	// Payload is the packet's payload, without Ethernet padding.
	Payload []byte
}

// ParseIPv4 decodes an untagged Ethernet frame holding an IPv4 packet,
// checking the header checksum and rejecting fragments. It is the control
// plane's parser (ICMP, IGMP); UDP datagrams go through Parse.
func ParseIPv4(b []byte, p *IPv4Packet) error {
	if len(b) < EthernetHeaderLength+IPv4HeaderLength {
		return ErrShort
	}
	if binary.BigEndian.Uint16(b[12:14]) != EtherTypeIPv4 {
		return ErrNotIPv4
	}
	copy(p.DstMAC[:], b[0:6])
	copy(p.SrcMAC[:], b[6:12])
	ip := b[EthernetHeaderLength:]
	if ip[0]>>4 != 4 {
		return ErrMalformed
	}
	ihl := int(ip[0]&0x0F) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ihl < IPv4HeaderLength || total < ihl || len(ip) < total {
		return ErrMalformed
	}
	ip = ip[:total]
	if fold(sum(ip[:ihl], 0)) != 0xFFFF {
		return ErrChecksum
	}
	fo := binary.BigEndian.Uint16(ip[6:8])
	if fo&ipv4FlagsMFMask != 0 || fo&ipv4OffsetMask != 0 {
		return ErrFragment
	}
	p.Src = netip.AddrFrom4([4]byte(ip[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(ip[16:20]))
	p.Protocol = ip[9]
	p.TTL = ip[8]
	p.Header = ip[:ihl]
	p.Payload = ip[ihl:]
	return nil
}

// writeIPv4 writes an Ethernet header and an IPv4 header (with options,
// a multiple of four bytes) for a payload of payloadLength bytes, and
// returns the offset of the payload.
func writeIPv4(dst []byte, srcMAC, dstMAC MAC, src, to netip.Addr, proto, ttl uint8, id uint16, options []byte, payloadLength int) int {
	copy(dst[0:6], dstMAC[:])
	copy(dst[6:12], srcMAC[:])
	binary.BigEndian.PutUint16(dst[12:14], EtherTypeIPv4)
	ihl := IPv4HeaderLength + len(options)
	ip := dst[EthernetHeaderLength : EthernetHeaderLength+ihl]
	ip[0] = 0x40 | byte(ihl/4)
	ip[1] = 0
	binary.BigEndian.PutUint16(ip[2:4], uint16(ihl+payloadLength))
	binary.BigEndian.PutUint16(ip[4:6], id)
	binary.BigEndian.PutUint16(ip[6:8], 0x4000) // don't fragment
	ip[8] = ttl
	ip[9] = proto
	ip[10], ip[11] = 0, 0
	s, d := src.As4(), to.As4()
	copy(ip[12:16], s[:])
	copy(ip[16:20], d[:])
	copy(ip[20:], options)
	binary.BigEndian.PutUint16(ip[10:12], ^fold(sum(ip, 0)))
	return EthernetHeaderLength + ihl
}

// pad zeroes a frame of n bytes up to the Ethernet minimum and returns its
// length on the wire.
func pad(dst []byte, n int) int {
	for ; n < MinFrameLength; n++ {
		dst[n] = 0
	}
	return n
}

// Checksum is the Internet checksum of b (RFC 1071), as it is written into
// a header whose checksum field was zero.
func Checksum(b []byte) uint16 { return ^fold(sum(b, 0)) }

// PrepareChecksumOffload readies a frame written by Build or WriteHeaders
// for a device that computes the IPv4 header and UDP checksums: the IPv4
// checksum field is zeroed and the UDP one holds the pseudo-header sum, as
// such devices expect (DPDK's RTE_MBUF_F_TX_IP_CKSUM and
// RTE_MBUF_F_TX_UDP_CKSUM).
func PrepareChecksumOffload(f []byte) {
	ip := f[EthernetHeaderLength:]
	ihl := int(ip[0]&0x0F) * 4
	ip[10], ip[11] = 0, 0
	udp := ip[ihl:]
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	binary.BigEndian.PutUint16(udp[6:8], fold(pseudoSum(ip[12:16], ip[16:20], ulen)))
}
