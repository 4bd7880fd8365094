package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

func testEndpoints() *Endpoints {
	return &Endpoints{
		SrcMAC: MAC{0x02, 0, 0, 0, 0, 1},
		DstMAC: MAC{0x02, 0, 0, 0, 0, 2},
		Src:    netip.MustParseAddrPort("198.18.0.1:40123"),
		Dst:    netip.MustParseAddrPort("198.18.0.2:20121"),
	}
}

func TestIPv4ChecksumKnownVector(t *testing.T) {
	// The worked example of the IPv4 header checksum on Wikipedia's
	// "Internet checksum" page: 192.168.0.1 -> 192.168.0.199, sum 0xb861.
	hdr := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0,
		0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := ^fold(sum(hdr, 0)); got != 0xb861 {
		t.Fatalf("checksum %#x, want 0xb861", got)
	}
}

func TestBuildParseRoundTrip(t *testing.T) {
	e := testEndpoints()
	for _, size := range []int{0, 1, 7, 8, 33, 1408} {
		payload := bytes.Repeat([]byte{0xA5, 0x5A, 0x01}, size)[:size]
		buf := make([]byte, 2048)
		n, err := Build(buf, e, 7, payload)
		if err != nil {
			t.Fatal(err)
		}
		if n != HeadersLength+size {
			t.Fatalf("length %d", n)
		}
		var d Datagram
		if err := Parse(buf[:n], &d); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if d.Src != e.Src || d.Dst != e.Dst || d.SrcMAC != e.SrcMAC || d.DstMAC != e.DstMAC {
			t.Fatalf("parsed %+v", d)
		}
		if !bytes.Equal(d.Payload, payload) {
			t.Fatalf("payload differs at size %d", size)
		}
		// Corrupting one payload byte must fail the UDP checksum.
		if size > 0 {
			buf[HeadersLength] ^= 0xFF
			if err := Parse(buf[:n], &d); !errors.Is(err, ErrChecksum) {
				t.Fatalf("corrupt payload: %v", err)
			}
			if err := ParseOffloaded(buf[:n], &d); err != nil {
				t.Fatalf("offloaded: %v", err)
			}
		}
	}
}

func TestParseVLANAndOptions(t *testing.T) {
	e := testEndpoints()
	plain := make([]byte, 256)
	n, err := Build(plain, e, 1, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	// Two VLAN tags (802.1ad outer, 802.1Q inner) after the MACs.
	tagged := append([]byte{}, plain[:12]...)
	tagged = append(tagged, 0x88, 0xA8, 0x00, 0x0A, 0x81, 0x00, 0x00, 0x14)
	tagged = append(tagged, plain[12:n]...)
	var d Datagram
	if err := Parse(tagged, &d); err != nil || d.VLANs != 2 || string(d.Payload) != "hello" {
		t.Fatalf("vlan: %v %+v", err, d)
	}
	// Four bytes of IPv4 options (NOPs and an end-of-list), checksum redone.
	ip := append([]byte{}, plain[EthernetHeaderLength:EthernetHeaderLength+IPv4HeaderLength]...)
	ip = append(ip, 1, 1, 1, 0)
	ip[0] = 0x46
	binary.BigEndian.PutUint16(ip[2:4], binary.BigEndian.Uint16(ip[2:4])+4)
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:12], ^fold(sum(ip, 0)))
	opt := append(append(append([]byte{}, plain[:EthernetHeaderLength]...), ip...), plain[EthernetHeaderLength+IPv4HeaderLength:n]...)
	if err := Parse(opt, &d); err != nil || string(d.Payload) != "hello" || d.Dst != e.Dst {
		t.Fatalf("options: %v %+v", err, d)
	}
	// A fragment is refused.
	frag := append([]byte{}, plain[:n]...)
	binary.BigEndian.PutUint16(frag[EthernetHeaderLength+6:], 0x2000)
	frag[EthernetHeaderLength+10], frag[EthernetHeaderLength+11] = 0, 0
	binary.BigEndian.PutUint16(frag[EthernetHeaderLength+10:], ^fold(sum(frag[EthernetHeaderLength:EthernetHeaderLength+IPv4HeaderLength], 0)))
	if err := Parse(frag, &d); !errors.Is(err, ErrFragment) {
		t.Fatalf("fragment: %v", err)
	}
}

func TestMulticastMAC(t *testing.T) {
	got := MulticastMAC(netip.MustParseAddr("239.255.129.7"))
	if got != (MAC{0x01, 0x00, 0x5e, 0x7f, 0x81, 0x07}) {
		t.Fatalf("got %s", got)
	}
}

func TestNoAllocs(t *testing.T) {
	e := testEndpoints()
	buf := make([]byte, 2048)
	payload := make([]byte, 1024)
	var d Datagram
	allocs := testing.AllocsPerRun(100, func() {
		n, _ := Build(buf, e, 1, payload)
		_ = Parse(buf[:n], &d)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per build+parse", allocs)
	}
}

func BenchmarkBuild(b *testing.B) {
	e := testEndpoints()
	buf := make([]byte, 2048)
	payload := make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		_, _ = Build(buf, e, 1, payload)
	}
}

func BenchmarkParse(b *testing.B) {
	e := testEndpoints()
	buf := make([]byte, 2048)
	n, _ := Build(buf, e, 1, make([]byte, 1024))
	var d Datagram
	b.ReportAllocs()
	b.SetBytes(1024)
	for b.Loop() {
		_ = Parse(buf[:n], &d)
	}
}

func FuzzParse(f *testing.F) {
	buf := make([]byte, 256)
	n, _ := Build(buf, testEndpoints(), 1, []byte("seed"))
	f.Add(buf[:n])
	f.Add([]byte{})
	f.Add(make([]byte, 14))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Datagram
		if err := Parse(b, &d); err != nil {
			return
		}
		// A datagram that parses rebuilds to one that parses the same.
		out := make([]byte, HeadersLength+len(d.Payload))
		e := Endpoints{SrcMAC: d.SrcMAC, DstMAC: d.DstMAC, Src: d.Src, Dst: d.Dst}
		m, err := Build(out, &e, 0, d.Payload)
		if err != nil {
			return
		}
		var d2 Datagram
		if err := Parse(out[:m], &d2); err != nil || d2.Src != d.Src || d2.Dst != d.Dst || !bytes.Equal(d2.Payload, d.Payload) {
			t.Fatalf("rebuild: %v", err)
		}
	})
}
