package frame

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"time"
)

// IGMP message types (RFC 2236 for version 2, RFC 3376 for version 3).
const (
	IGMPQuery      = 0x11
	IGMPv1Report   = 0x12
	IGMPv2Report   = 0x16
	IGMPv2Leave    = 0x17
	IGMPv3Report   = 0x22
	igmpv2Length   = 8
	igmpv3MinQuery = 12
)

// IGMPv3 group record types (RFC 3376, section 4.2.12).
const (
	IGMPModeIsExclude   = 2 // current state, in answer to a query
	IGMPChangeToInclude = 3 // leave: include no sources
	IGMPChangeToExclude = 4 // join: exclude no sources
)

// Destinations of IGMP messages: version 2 leaves go to all routers,
// version 3 reports to all IGMPv3-capable routers.
var (
	AllRouters     = netip.AddrFrom4([4]byte{224, 0, 0, 2})
	AllIGMPv3Hosts = netip.AddrFrom4([4]byte{224, 0, 0, 22})
)

// routerAlert is the IPv4 Router Alert option (RFC 2113) that IGMP
// messages carry so that routers look at them.
var routerAlert = []byte{0x94, 0x04, 0x00, 0x00}

// ErrNotIGMP is returned for packets that are not a well-formed IGMP message.
var ErrNotIGMP = errors.New("frame: not an IGMP message")

// IGMPRecord is one group record of an IGMPv3 report (no sources).
type IGMPRecord struct {
	Type  uint8
	Group netip.Addr
}

// IGMPMessage is a parsed IGMP message.
type IGMPMessage struct {
	Type uint8
	// Version is 1, 2 or 3 for a query (from its length and maximum
	// response time, RFC 3376 section 7.1); 2 or 3 for reports.
	Version int
	// Group of a version 1 or 2 message or of a group-specific query;
	// the unspecified address for a general query.
	Group netip.Addr
	// MaxResponse is a query's maximum response time.
	MaxResponse time.Duration
	// Records are a version 3 report's group records; len(Records)
	// reports how many were in the message even when the slice given
	// to ParseIGMP was too short for all of them.
	Records []IGMPRecord
}

// ParseIGMP decodes the IGMP message of a packet parsed by ParseIPv4,
// checking its checksum. Version 3 records are appended to m.Records[:0].
func ParseIGMP(p *IPv4Packet, m *IGMPMessage) error {
	b := p.Payload
	if p.Protocol != ProtocolIGMP || len(b) < igmpv2Length {
		return ErrNotIGMP
	}
	if fold(sum(b, 0)) != 0xFFFF {
		return ErrChecksum
	}
	m.Type = b[0]
	m.Records = m.Records[:0]
	m.Group = netip.AddrFrom4([4]byte(b[4:8]))
	switch m.Type {
	case IGMPQuery:
		switch {
		case len(b) >= igmpv3MinQuery:
			m.Version = 3
			m.MaxResponse = igmpv3Time(b[1])
		case b[1] == 0:
			m.Version = 1
			m.MaxResponse = 10 * time.Second
		default:
			m.Version = 2
			m.MaxResponse = time.Duration(b[1]) * 100 * time.Millisecond
		}
	case IGMPv1Report:
		m.Version = 1
	case IGMPv2Report, IGMPv2Leave:
		m.Version = 2
	case IGMPv3Report:
		m.Version = 3
		m.Group = netip.IPv4Unspecified()
		n := int(binary.BigEndian.Uint16(b[6:8]))
		r := b[8:]
		for i := 0; i < n; i++ {
			if len(r) < 8 {
				return ErrMalformed
			}
			aux, srcs := int(r[1])*4, int(binary.BigEndian.Uint16(r[2:4]))
			size := 8 + 4*srcs + aux
			if len(r) < size {
				return ErrMalformed
			}
			m.Records = append(m.Records, IGMPRecord{Type: r[0], Group: netip.AddrFrom4([4]byte(r[4:8]))})
			r = r[size:]
		}
	default:
		return ErrNotIGMP
	}
	return nil
}

// igmpv3Time decodes a version 3 Max Resp Code in tenths of a second
// (RFC 3376, section 4.1.1).
func igmpv3Time(code byte) time.Duration {
	v := int(code)
	if code >= 128 {
		v = (int(code&0x0F) | 0x10) << ((code>>4)&0x07 + 3)
	}
	return time.Duration(v) * 100 * time.Millisecond
}

// BuildIGMPv2 writes a version 2 report (to the group) or leave (to all
// routers) for group from src, with TTL 1 and the Router Alert option, and
// returns the frame's length.
func BuildIGMPv2(dst []byte, srcMAC MAC, src netip.Addr, typ uint8, group netip.Addr, id uint16) (int, error) {
	if typ != IGMPv2Report && typ != IGMPv2Leave {
		return 0, ErrNotIGMP
	}
	if !src.Is4() || !group.Is4() || !group.IsMulticast() {
		return 0, ErrNotIPv4
	}
	to := group
	if typ == IGMPv2Leave {
		to = AllRouters
	}
	n := EthernetHeaderLength + IPv4HeaderLength + len(routerAlert) + igmpv2Length
	if len(dst) < max(n, MinFrameLength) {
		return 0, ErrShort
	}
	off := writeIPv4(dst, srcMAC, MulticastMAC(to), src, to, ProtocolIGMP, 1, id, routerAlert, igmpv2Length)
	m := dst[off:n]
	m[0], m[1] = typ, 0
	m[2], m[3] = 0, 0
	g := group.As4()
	copy(m[4:8], g[:])
	binary.BigEndian.PutUint16(m[2:4], Checksum(m))
	return pad(dst, n), nil
}

// BuildIGMPv3Report writes a version 3 report with the given records (no
// sources) to 224.0.0.22 from src, and returns the frame's length.
func BuildIGMPv3Report(dst []byte, srcMAC MAC, src netip.Addr, records []IGMPRecord, id uint16) (int, error) {
	if !src.Is4() {
		return 0, ErrNotIPv4
	}
	size := 8 + 8*len(records)
	n := EthernetHeaderLength + IPv4HeaderLength + len(routerAlert) + size
	if len(dst) < max(n, MinFrameLength) || len(records) > 0xFFFF {
		return 0, ErrShort
	}
	off := writeIPv4(dst, srcMAC, MulticastMAC(AllIGMPv3Hosts), src, AllIGMPv3Hosts, ProtocolIGMP, 1, id, routerAlert, size)
	m := dst[off:n]
	m[0], m[1] = IGMPv3Report, 0
	m[2], m[3], m[4], m[5] = 0, 0, 0, 0
	binary.BigEndian.PutUint16(m[6:8], uint16(len(records)))
	r := m[8:]
	for _, rec := range records {
		if !rec.Group.Is4() || !rec.Group.IsMulticast() {
			return 0, ErrNotIPv4
		}
		r[0], r[1], r[2], r[3] = rec.Type, 0, 0, 0
		g := rec.Group.As4()
		copy(r[4:8], g[:])
		r = r[8:]
	}
	binary.BigEndian.PutUint16(m[2:4], Checksum(m))
	return pad(dst, n), nil
}
