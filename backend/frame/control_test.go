package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"
)

var (
	macA = MAC{0x02, 0, 0, 0, 0, 0xa}
	macB = MAC{0x02, 0, 0, 0, 0, 0xb}
	ipA  = netip.MustParseAddr("198.18.0.1")
	ipB  = netip.MustParseAddr("198.18.0.2")
)

func TestARPRoundTrip(t *testing.T) {
	buf := make([]byte, 128)
	req := ARP{Op: ARPRequest, SenderMAC: macA, SenderIP: ipA, TargetIP: ipB}
	n, err := BuildARP(buf, macA, BroadcastMAC, &req)
	if err != nil || n != MinFrameLength {
		t.Fatalf("build %d %v", n, err)
	}
	if !bytes.Equal(buf[0:6], BroadcastMAC[:]) || binary.BigEndian.Uint16(buf[12:14]) != EtherTypeARP {
		t.Fatalf("ethernet header % x", buf[:14])
	}
	var got ARP
	if err := ParseARP(buf[:n], &got); err != nil || got != req {
		t.Fatalf("parsed %+v %v", got, err)
	}
	if err := ParseARP(buf[:20], &got); !errors.Is(err, ErrShort) {
		t.Fatalf("short: %v", err)
	}
	buf[15] = 6 // protocol type 0x0006
	if err := ParseARP(buf[:n], &got); !errors.Is(err, ErrNotARP) {
		t.Fatalf("bad protocol type: %v", err)
	}
	if _, err := BuildARP(buf[:59], macA, BroadcastMAC, &req); !errors.Is(err, ErrShort) {
		t.Fatalf("short buffer: %v", err)
	}
}

// echoRequest is a frame as ping(8) sends it: identifier 0x1234, sequence
// 1, 8 bytes of data.
func echoRequest(t *testing.T) []byte {
	t.Helper()
	icmp := []byte{ICMPEchoRequest, 0, 0, 0, 0x12, 0x34, 0, 1, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
	binary.BigEndian.PutUint16(icmp[2:4], Checksum(icmp))
	buf := make([]byte, 128)
	off := writeIPv4(buf, macB, macA, ipB, ipA, ProtocolICMP, 64, 99, nil, len(icmp))
	copy(buf[off:], icmp)
	return buf[:off+len(icmp)]
}

func TestEchoReply(t *testing.T) {
	var req IPv4Packet
	if err := ParseIPv4(echoRequest(t), &req); err != nil {
		t.Fatal(err)
	}
	if req.Src != ipB || req.Dst != ipA || req.Protocol != ProtocolICMP || req.SrcMAC != macB {
		t.Fatalf("request %+v", req)
	}
	out := make([]byte, 128)
	n, err := BuildEchoReply(out, macA, &req, 7)
	if err != nil {
		t.Fatal(err)
	}
	var rep IPv4Packet
	if err := ParseIPv4(out[:n], &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Src != ipA || rep.Dst != ipB || rep.DstMAC != macB || rep.SrcMAC != macA {
		t.Fatalf("reply %+v", rep)
	}
	p := rep.Payload
	if p[0] != ICMPEchoReply || !bytes.Equal(p[4:], req.Payload[4:]) || Checksum(p) != 0 {
		t.Fatalf("reply icmp % x", p)
	}
	req.Payload[0] = ICMPEchoReply
	if _, err := BuildEchoReply(out, macA, &req, 7); !errors.Is(err, ErrNotEcho) {
		t.Fatalf("reply to a reply: %v", err)
	}
	req.Payload[0] = ICMPEchoRequest
	req.Payload[9] ^= 1
	if _, err := BuildEchoReply(out, macA, &req, 7); !errors.Is(err, ErrChecksum) {
		t.Fatalf("bad checksum: %v", err)
	}
}

func TestParseIPv4Rejects(t *testing.T) {
	f := echoRequest(t)
	var p IPv4Packet
	g := append([]byte(nil), f...)
	g[EthernetHeaderLength+8]-- // TTL changed, checksum not
	if err := ParseIPv4(g, &p); !errors.Is(err, ErrChecksum) {
		t.Fatalf("bad header checksum: %v", err)
	}
	g = append([]byte(nil), f...)
	binary.BigEndian.PutUint16(g[EthernetHeaderLength+2:], 200)
	if err := ParseIPv4(g, &p); !errors.Is(err, ErrMalformed) {
		t.Fatalf("long total length: %v", err)
	}
	if err := ParseIPv4(f[:30], &p); !errors.Is(err, ErrShort) {
		t.Fatalf("short: %v", err)
	}
}

func TestIGMPv2(t *testing.T) {
	group := netip.MustParseAddr("239.255.0.1")
	buf := make([]byte, 128)
	for _, typ := range []uint8{IGMPv2Report, IGMPv2Leave} {
		n, err := BuildIGMPv2(buf, macA, ipA, typ, group, 1)
		if err != nil {
			t.Fatal(err)
		}
		var p IPv4Packet
		if err := ParseIPv4(buf[:n], &p); err != nil {
			t.Fatal(err)
		}
		to := group
		if typ == IGMPv2Leave {
			to = AllRouters
		}
		if p.Dst != to || p.TTL != 1 || len(p.Header) != 24 || p.DstMAC != MulticastMAC(to) || !bytes.Equal(p.Header[20:], routerAlert) {
			t.Fatalf("type %#x: packet %+v", typ, p)
		}
		var m IGMPMessage
		if err := ParseIGMP(&p, &m); err != nil || m.Type != typ || m.Group != group || m.Version != 2 {
			t.Fatalf("type %#x: message %+v %v", typ, m, err)
		}
	}
	if _, err := BuildIGMPv2(buf, macA, ipA, IGMPv2Report, ipB, 1); err == nil {
		t.Fatal("report for a unicast group")
	}
}

func TestIGMPv3Report(t *testing.T) {
	recs := []IGMPRecord{
		{Type: IGMPChangeToExclude, Group: netip.MustParseAddr("239.255.0.1")},
		{Type: IGMPModeIsExclude, Group: netip.MustParseAddr("224.1.2.3")},
	}
	buf := make([]byte, 128)
	n, err := BuildIGMPv3Report(buf, macA, ipA, recs, 1)
	if err != nil {
		t.Fatal(err)
	}
	var p IPv4Packet
	if err := ParseIPv4(buf[:n], &p); err != nil || p.Dst != AllIGMPv3Hosts {
		t.Fatalf("%+v %v", p, err)
	}
	m := IGMPMessage{Records: make([]IGMPRecord, 0, 4)}
	if err := ParseIGMP(&p, &m); err != nil || m.Version != 3 || len(m.Records) != 2 || m.Records[0] != recs[0] || m.Records[1] != recs[1] {
		t.Fatalf("%+v %v", m, err)
	}
	p.Payload[7] = 3 // claims a third record
	binary.BigEndian.PutUint16(p.Payload[2:4], 0)
	binary.BigEndian.PutUint16(p.Payload[2:4], Checksum(p.Payload))
	if err := ParseIGMP(&p, &m); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated records: %v", err)
	}
}

func TestIGMPQueries(t *testing.T) {
	for _, c := range []struct {
		msg     []byte
		version int
		group   string
		resp    time.Duration
	}{
		{[]byte{0x11, 100, 0, 0, 0, 0, 0, 0}, 2, "0.0.0.0", 10 * time.Second},
		{[]byte{0x11, 0, 0, 0, 239, 1, 1, 1}, 1, "239.1.1.1", 10 * time.Second},
		{[]byte{0x11, 100, 0, 0, 0, 0, 0, 0, 0, 125, 0, 0}, 3, "0.0.0.0", 10 * time.Second},
		// Exponent 1, mantissa 0: (0x10) << 4 = 256 tenths.
		{[]byte{0x11, 0x90, 0, 0, 239, 2, 2, 2, 0, 125, 0, 0}, 3, "239.2.2.2", 25600 * time.Millisecond},
	} {
		binary.BigEndian.PutUint16(c.msg[2:4], Checksum(c.msg))
		p := IPv4Packet{Protocol: ProtocolIGMP, Payload: c.msg}
		var m IGMPMessage
		if err := ParseIGMP(&p, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != IGMPQuery || m.Version != c.version || m.Group.String() != c.group || m.MaxResponse != c.resp {
			t.Fatalf("% x: %+v", c.msg, m)
		}
	}
}

func TestPrepareChecksumOffload(t *testing.T) {
	e := testEndpoints()
	buf := make([]byte, 256)
	n, err := Build(buf, e, 3, []byte("offloaded payload"))
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte(nil), buf[:n]...)
	PrepareChecksumOffload(buf[:n])
	ip := buf[EthernetHeaderLength : EthernetHeaderLength+IPv4HeaderLength]
	udp := buf[EthernetHeaderLength+IPv4HeaderLength : n]
	if ip[10] != 0 || ip[11] != 0 {
		t.Fatal("ip checksum not zeroed")
	}
	// What the device does: the IPv4 header sum, and the UDP sum over
	// the segment whose checksum field holds the pseudo-header sum.
	binary.BigEndian.PutUint16(ip[10:12], Checksum(ip))
	binary.BigEndian.PutUint16(udp[6:8], Checksum(udp))
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("device result\n% x\nwant\n% x", buf[:n], want)
	}
}

func FuzzParseControl(f *testing.F) {
	buf := make([]byte, 128)
	n, _ := BuildARP(buf, macA, BroadcastMAC, &ARP{Op: ARPRequest, SenderMAC: macA, SenderIP: ipA, TargetIP: ipB})
	f.Add(append([]byte(nil), buf[:n]...))
	n, _ = BuildIGMPv3Report(buf, macA, ipA, []IGMPRecord{{Type: 4, Group: netip.MustParseAddr("239.1.1.1")}}, 1)
	f.Add(append([]byte(nil), buf[:n]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a ARP
		_ = ParseARP(b, &a)
		var p IPv4Packet
		if ParseIPv4(b, &p) != nil {
			return
		}
		m := IGMPMessage{Records: make([]IGMPRecord, 0, 2)}
		_ = ParseIGMP(&p, &m)
		out := make([]byte, 2048)
		_, _ = BuildEchoReply(out, macA, &p, 1)
	})
}
