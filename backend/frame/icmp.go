package frame

import (
	"encoding/binary"
	"errors"
)

// ICMP message types (RFC 792).
const (
	ICMPEchoReply   = 0
	ICMPEchoRequest = 8
)

// ErrNotEcho is returned for ICMP messages other than a valid echo request.
var ErrNotEcho = errors.New("frame: not an ICMP echo request")

// BuildEchoReply answers the echo request req (parsed by ParseIPv4) with a
// frame from srcMAC written to dst, carrying the request's identifier,
// sequence number and data (RFC 792), and returns its length.
func BuildEchoReply(dst []byte, srcMAC MAC, req *IPv4Packet, id uint16) (int, error) {
	icmp := req.Payload
	if req.Protocol != ProtocolICMP || len(icmp) < 8 || icmp[0] != ICMPEchoRequest || icmp[1] != 0 {
		return 0, ErrNotEcho
	}
	if fold(sum(icmp, 0)) != 0xFFFF {
		return 0, ErrChecksum
	}
	n := EthernetHeaderLength + IPv4HeaderLength + len(icmp)
	if len(dst) < max(n, MinFrameLength) {
		return 0, ErrShort
	}
	off := writeIPv4(dst, srcMAC, req.SrcMAC, req.Dst, req.Src, ProtocolICMP, DefaultTTL, id, nil, len(icmp))
	out := dst[off:n]
	copy(out, icmp)
	out[0] = ICMPEchoReply
	out[2], out[3] = 0, 0
	binary.BigEndian.PutUint16(out[2:4], Checksum(out))
	return pad(dst, n), nil
}
