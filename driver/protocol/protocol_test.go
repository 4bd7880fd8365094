package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Test vectors: the fact sheet's worked examples (session 1001, stream 10,
// term id 100).
func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSetupVector(t *testing.T) {
	want := hexBytes(t, `28 00 00 00 00 00 05 00  00 00 00 00 e9 03 00 00
		0a 00 00 00 64 00 00 00  64 00 00 00 00 00 00 01
		80 05 00 00 00 00 00 00`)
	s := Setup{SessionID: 1001, StreamID: 10, InitialTermID: 100, ActiveTermID: 100, TermLength: 16 << 20, MTU: 1408}
	got := make([]byte, SetupLength)
	if n := s.Encode(got); n != SetupLength || !bytes.Equal(got, want) {
		t.Fatalf("encode = % x", got)
	}
	d, err := DecodeSetup(want)
	if err != nil || d != s || !d.Valid() {
		t.Fatalf("decode = %+v, %v", d, err)
	}
}

func TestStatusMessageVector(t *testing.T) {
	want := hexBytes(t, `24 00 00 00 00 00 03 00  e9 03 00 00 0a 00 00 00
		64 00 00 00 00 04 00 00  00 00 02 00 08 07 06 05
		04 03 02 01`)
	sm := StatusMessage{SessionID: 1001, StreamID: 10, ConsumptionTermID: 100, ConsumptionTermOffset: 1024,
		ReceiverWindow: 128 << 10, ReceiverID: 0x0102030405060708}
	got := make([]byte, SMWithGroupTagLength)
	n := sm.Encode(got)
	if n != SMLength || !bytes.Equal(got[:n], want) {
		t.Fatalf("encode = % x", got[:n])
	}
	d, err := DecodeStatusMessage(want)
	if err != nil || d != sm {
		t.Fatalf("decode = %+v, %v", d, err)
	}
	sm.GroupTag, sm.HasGroupTag = -7, true
	n = sm.Encode(got)
	if n != SMWithGroupTagLength || got[0] != 0x2c {
		t.Fatalf("tagged SM length %d, first byte %x", n, got[0])
	}
	if d, err := DecodeStatusMessage(got[:n]); err != nil || d != sm {
		t.Fatalf("tagged decode = %+v, %v", d, err)
	}
}

func TestHeartbeatVector(t *testing.T) {
	want := hexBytes(t, `00 00 00 00 00 c0 01 00  00 10 00 00 e9 03 00 00
		0a 00 00 00 64 00 00 00  00 00 00 00 00 00 00 00`)
	h := DataHeader{Flags: FlagsUnfragmented, Type: TypeData, TermOffset: 4096, SessionID: 1001, StreamID: 10, TermID: 100}
	got := make([]byte, DataHeaderLength)
	h.Encode(got)
	if !bytes.Equal(got, want) || !IsHeartbeat(got) || IsEndOfStream(got) {
		t.Fatalf("heartbeat = % x", got)
	}
	got[5] |= FlagEOS
	if !IsEndOfStream(got) {
		t.Fatal("EOS flag not seen")
	}
	if n, err := ScanDataDatagram(want, 16<<20); err != nil || n != 0 {
		t.Fatalf("scan heartbeat = %d, %v", n, err)
	}
}

func TestNakVector(t *testing.T) {
	want := hexBytes(t, `1c 00 00 00 00 00 02 00  e9 03 00 00 0a 00 00 00
		64 00 00 00 00 08 00 00  00 04 00 00`)
	nak := Nak{SessionID: 1001, StreamID: 10, TermID: 100, TermOffset: 2048, Length: 1024}
	got := make([]byte, NakLength)
	nak.Encode(got)
	if !bytes.Equal(got, want) {
		t.Fatalf("encode = % x", got)
	}
	d, err := DecodeNak(want)
	if err != nil || d != nak || !d.Valid(64<<10) {
		t.Fatalf("decode = %+v, %v", d, err)
	}
	if (Nak{TermOffset: 65504, Length: 64}).Valid(64 << 10) {
		t.Fatal("NAK past the term end accepted")
	}
}

func TestDataVector(t *testing.T) {
	want := hexBytes(t, `25 00 00 00 00 c0 01 00  00 00 00 00 e9 03 00 00
		0a 00 00 00 64 00 00 00  00 00 00 00 00 00 00 00
		68 65 6c 6c 6f 00 00 00  00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00`)
	if typ, err := Validate(want); err != nil || typ != TypeData {
		t.Fatalf("validate = %d, %v", typ, err)
	}
	h, err := DecodeDataHeader(want)
	if err != nil || h.FrameLength != 37 || h.SessionID != 1001 || string(want[32:37]) != "hello" {
		t.Fatalf("decode = %+v, %v", h, err)
	}
	if n, err := ScanDataDatagram(want, 16<<20); err != nil || n != 64 {
		t.Fatalf("scan = %d, %v", n, err)
	}
}

func TestScanDataDatagram(t *testing.T) {
	frame := func(b []byte, typ uint16, offset, length int32) {
		DataHeader{FrameLength: length, Flags: FlagsUnfragmented, Type: typ, TermOffset: offset, SessionID: 1, StreamID: 2, TermID: 3}.Encode(b)
	}
	const term = 64 << 10
	// Two frames then a PAD sent as its header only, covering the term's end.
	dg := make([]byte, 128)
	frame(dg[0:], TypeData, term-1024, 40)
	frame(dg[64:], TypeData, term-960, 32)
	frame(dg[96:], TypePad, term-928, 928)
	if n, err := ScanDataDatagram(dg, term); err != nil || n != 1024 {
		t.Fatalf("scan = %d, %v", n, err)
	}
	// A DATA frame claiming more than the datagram holds is truncated.
	frame(dg[96:], TypeData, term-928, 928)
	if _, err := ScanDataDatagram(dg, term); err == nil {
		t.Fatal("truncated DATA accepted")
	}
	// A frame whose offset breaks the sequence is invalid.
	frame(dg[96:], TypeData, 0, 32)
	if _, err := ScanDataDatagram(dg, term); err == nil {
		t.Fatal("out of sequence frame accepted")
	}
	// Trailing garbage after the last frame is invalid.
	g := make([]byte, 64)
	frame(g, TypeData, 0, 32)
	if _, err := ScanDataDatagram(g, term); err == nil {
		t.Fatal("trailing garbage accepted")
	}
	// Offsets outside the term or misaligned are invalid.
	frame(g, TypeData, term, 64)
	if _, err := ScanDataDatagram(g, term); err == nil {
		t.Fatal("offset past the term accepted")
	}
}

func TestValidate(t *testing.T) {
	sm := make([]byte, SMLength)
	StatusMessage{SessionID: 1}.Encode(sm)
	cases := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrTruncated},
		{"short", []byte{1, 2, 3}, ErrTruncated},
		{"sm", sm, nil},
		{"sm truncated", sm[:30], ErrTruncated},
		{"bad version", append([]byte{36, 0, 0, 0, 1, 0, 3, 0}, make([]byte, 28)...), ErrVersion},
		{"negative length", append([]byte{0, 0, 0, 0x80, 0, 0, 3, 0}, make([]byte, 28)...), ErrFrameLength},
		{"frame longer than datagram", append([]byte{100, 0, 0, 0, 0, 0, 3, 0}, make([]byte, 28)...), ErrFrameLength},
		{"unknown type", append([]byte{8, 0, 0, 0, 0, 0, 0x42, 0}, make([]byte, 40)...), ErrUnknownType},
		{"ats", append([]byte{8, 0, 0, 0, 0, 0, 0x08, 0}, make([]byte, 40)...), ErrUnknownType},
		{"data unaligned", append([]byte{33, 0, 0, 0, 0, 0xc0, 1, 0}, make([]byte, 33)...), ErrAlignment},
	}
	for _, c := range cases {
		if _, err := Validate(c.b); !errors.Is(err, c.err) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.err)
		}
	}
}

func TestRoundTrips(t *testing.T) {
	b := make([]byte, 2048)
	e := ErrorFrame{Flags: ErrFlagHasGroupTag, SessionID: 5, StreamID: 6, ReceiverID: -2, GroupTag: 77, ErrorCode: 13, Text: []byte("image rejected")}
	n := e.Encode(b)
	d, err := DecodeError(b[:n])
	if err != nil || d.ErrorCode != 13 || string(d.Text) != "image rejected" || d.GroupTag != 77 || d.ReceiverID != -2 {
		t.Fatalf("ERR = %+v, %v", d, err)
	}
	long := ErrorFrame{Text: bytes.Repeat([]byte("x"), 2000)}
	if n := long.Encode(b); n != ErrHeaderLength+MaxErrorTextLength {
		t.Fatalf("long ERR length %d", n)
	}
	r := RTTM{Flags: RTTMFlagReply, SessionID: 1, StreamID: 2, EchoTimestamp: 123456789, ReceptionDelta: 5, ReceiverID: 9}
	n = r.Encode(b)
	if d, err := DecodeRTTM(b[:n]); err != nil || d != r {
		t.Fatalf("RTTM = %+v, %v", d, err)
	}
	rs := ResponseSetup{SessionID: 1, StreamID: 2, ResponseSessionID: 3}
	n = rs.Encode(b)
	if d, err := DecodeResponseSetup(b[:n]); err != nil || d != rs {
		t.Fatalf("RSP_SETUP = %+v, %v", d, err)
	}
	if _, err := DecodeNak(b[:n]); !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrWrongType) {
		t.Fatalf("wrong type decoded as NAK: %v", err)
	}
}

func TestResolutionEntries(t *testing.T) {
	b := make([]byte, 256)
	off := HeaderLength
	entries := []ResolutionEntry{
		{Type: ResTypeIPv4, Flags: ResFlagSelf, Port: 40123, AgeMs: 5, Address: netip.MustParseAddr("198.18.0.1"), Name: []byte("host-a")},
		{Type: ResTypeIPv6, Port: 40124, AgeMs: 7, Address: netip.MustParseAddr("::1"), Name: []byte("host-b.example")},
	}
	for _, e := range entries {
		n := EncodeResolutionEntry(b[off:], e)
		if n == 0 || n%8 != 0 {
			t.Fatalf("encode entry length %d", n)
		}
		off += n
	}
	PutResHeader(b, off)
	if typ, err := Validate(b[:off]); err != nil || typ != TypeRes {
		t.Fatalf("validate RES = %d, %v", typ, err)
	}
	rest := b[HeaderLength:off]
	for i, want := range entries {
		got, n, err := NextResolutionEntry(rest)
		if err != nil || got.Address != want.Address || got.Port != want.Port || string(got.Name) != string(want.Name) || got.Flags != want.Flags {
			t.Fatalf("entry %d = %+v, %v", i, got, err)
		}
		rest = rest[n:]
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left", len(rest))
	}
}

func TestNoAllocations(t *testing.T) {
	dg := make([]byte, 64)
	DataHeader{FrameLength: 37, Flags: FlagsUnfragmented, Type: TypeData, SessionID: 1}.Encode(dg)
	sm := make([]byte, SMWithGroupTagLength)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = Validate(dg)
		_, _ = DecodeDataHeader(dg)
		_, _ = ScanDataDatagram(dg, 1<<16)
		n := StatusMessage{SessionID: 1, HasGroupTag: true}.Encode(sm)
		_, _ = DecodeStatusMessage(sm[:n])
		_, _ = Validate(dg[:7])
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
}
