package logbuffer

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// The DATA frame of the fact sheet's Appendix A ("hello", session 1001,
// stream 10, term 100, offset 0), written by our appender from the default
// header of a log initialised as the driver does.
func TestAppendMatchesAppendixA(t *testing.T) {
	l := newLogWith(t, 64*1024, Params{InitialTermID: 100, TermLength: 64 * 1024, PageSize: 4096, MTU: 1408, SessionID: 1001, StreamID: 10})
	wantHeader := hexBytes("00000000 00c00100 00000000 e9030000 0a000000 64000000 0000000000000000")
	if !bytes.Equal(DefaultFrameHeader(l.Meta()), wantHeader) {
		t.Fatalf("default header % x", DefaultFrameHeader(l.Meta()))
	}
	a := NewAppender(l)
	if pos := a.Append([]byte("hello"), 0); pos != 64 {
		t.Fatalf("position %d", pos)
	}
	want := hexBytes(`25000000 00c00100 00000000 e9030000 0a000000 64000000 00000000 00000000
		68656c6c6f000000 0000000000000000 0000000000000000 0000000000000000`)
	if got := l.Term(0).Bytes()[:64]; !bytes.Equal(got, want) {
		t.Fatalf("frame\n got % x\nwant % x", got, want)
	}
	// Raw tail after the claim: term 100, offset 64 (§2.3).
	if RawTailVolatile(l.Meta(), 0) != 0x0000006400000040 {
		t.Fatalf("raw tail %#x", RawTailVolatile(l.Meta(), 0))
	}
}

// Tails of a new log and of one started mid-stream (§2.3).
func TestInitialTails(t *testing.T) {
	l := newLogWith(t, 64*1024, Params{InitialTermID: 100, TermLength: 64 * 1024, PageSize: 4096, MTU: 1408})
	m := l.Meta()
	if RawTailVolatile(m, 0) != PackTail(100, 0) || RawTailVolatile(m, 1) != PackTail(98, 0) || RawTailVolatile(m, 2) != PackTail(99, 0) ||
		ActiveTermCount(m) != 0 || EndOfStreamPosition(m) != math.MaxInt64 {
		t.Fatalf("tails %#x %#x %#x", RawTailVolatile(m, 0), RawTailVolatile(m, 1), RawTailVolatile(m, 2))
	}
	l = newLogWith(t, 64*1024, Params{InitialTermID: 100, TermLength: 64 * 1024, PageSize: 4096, MTU: 1408,
		HasStart: true, TermID: 104, TermOffset: 1024})
	m = l.Meta()
	// termCount 4 → active partition 1; the next two get termId+i-3.
	if ActiveTermCount(m) != 4 || RawTailVolatile(m, 1) != PackTail(104, 1024) || RawTailVolatile(m, 2) != PackTail(102, 0) ||
		RawTailVolatile(m, 0) != PackTail(103, 0) {
		t.Fatalf("tails %#x %#x %#x count %d", RawTailVolatile(m, 0), RawTailVolatile(m, 1), RawTailVolatile(m, 2), ActiveTermCount(m))
	}
	if ProducerPosition(m) != 4*65536+1024 {
		t.Fatalf("producer position %d", ProducerPosition(m))
	}
	if !RotateLog(m, 4, 104) || ActiveTermCount(m) != 5 || RawTailVolatile(m, 2) != PackTail(105, 0) || RotateLog(m, 4, 104) {
		t.Fatal("rotation")
	}
}

// Every metadata field lands at its §2.2 offset.
func TestMetadataOffsets(t *testing.T) {
	meta := shm.NewAtomicBuffer(make([]byte, MetadataLength))
	type field struct {
		off, size int
		set       func()
	}
	fields := []field{
		{24, 4, func() { SetActiveTermCount(meta, -1) }},
		{128, 8, func() { SetEndOfStreamPosition(meta, -1) }},
		{136, 4, func() { meta.PutInt32(136, -1) }},
		{140, 4, func() { SetActiveTransportCount(meta, -1) }},
		{256, 8, func() { SetCorrelationID(meta, -1) }},
		{264, 4, func() { SetInitialTermID(meta, -1) }},
		{268, 4, func() { SetDefaultFrameHeaderLength(meta, -1) }},
		{272, 4, func() { SetMTULength(meta, -1) }},
		{276, 4, func() { SetTermLength(meta, -1) }},
		{280, 4, func() { SetPageSize(meta, -1) }},
		{284, 4, func() { SetPublicationWindowLength(meta, -1) }},
		{288, 4, func() { SetReceiverWindowLength(meta, -1) }},
		{292, 4, func() { SetSocketSndbufLength(meta, -1) }},
		{296, 4, func() { SetOSDefaultSocketSndbufLength(meta, -1) }},
		{300, 4, func() { SetOSMaxSocketSndbufLength(meta, -1) }},
		{304, 4, func() { SetSocketRcvbufLength(meta, -1) }},
		{308, 4, func() { SetOSDefaultSocketRcvbufLength(meta, -1) }},
		{312, 4, func() { SetOSMaxSocketRcvbufLength(meta, -1) }},
		{316, 4, func() { SetMaxResend(meta, -1) }},
		{448, 8, func() { SetEntityTag(meta, -1) }},
		{456, 8, func() { SetResponseCorrelationID(meta, -1) }},
		{464, 8, func() { SetLingerTimeoutNs(meta, -1) }},
		{472, 8, func() { SetUntetheredWindowLimitTimeoutNs(meta, -1) }},
		{480, 8, func() { SetUntetheredRestingTimeoutNs(meta, -1) }},
		{488, 1, func() { SetGroup(meta, true); meta.PutUint8(488, 0xFF) }},
		{489, 1, func() { SetIsResponse(meta, true); meta.PutUint8(489, 0xFF) }},
		{490, 1, func() { SetRejoin(meta, true); meta.PutUint8(490, 0xFF) }},
		{491, 1, func() { SetReliable(meta, true); meta.PutUint8(491, 0xFF) }},
		{492, 1, func() { SetSparse(meta, true); meta.PutUint8(492, 0xFF) }},
		{493, 1, func() { SetSignalEOS(meta, true); meta.PutUint8(493, 0xFF) }},
		{494, 1, func() { SetSpiesSimulateConnection(meta, true); meta.PutUint8(494, 0xFF) }},
		{495, 1, func() { SetTether(meta, true); meta.PutUint8(495, 0xFF) }},
		{496, 1, func() { SetPublicationRevoked(meta, true); meta.PutUint8(496, 0xFF) }},
		{497, 1, func() { SetLogType(meta, 0xFF) }},
		{500, 8, func() { SetUntetheredLingerTimeoutNs(meta, -1) }},
	}
	for _, f := range fields {
		meta.SetMemory(0, MetadataLength, 0)
		f.set()
		b := meta.Bytes()
		for i := range b {
			inside := i >= f.off && i < f.off+f.size
			if inside != (b[i] == 0xFF) {
				t.Fatalf("field at %d: byte %d is %#x", f.off, i, b[i])
			}
		}
	}
	meta.SetMemory(0, MetadataLength, 0)
	SetPublicationRevoked(meta, true)
	SetLogType(meta, TypeExclusivePublication)
	if !IsPublicationRevoked(meta) || LogType(meta) != TypeExclusivePublication {
		t.Fatal("revoked flag and type share a word")
	}
	SetPublicationRevoked(meta, false)
	if IsPublicationRevoked(meta) || LogType(meta) != TypeExclusivePublication {
		t.Fatal("clearing revoked")
	}
}

// Values as Aeron's LogBufferDescriptor computes them (§2.1, §2.4).
func TestDescriptorArithmetic(t *testing.T) {
	cases := []struct {
		termLength, pageSize int
		logLength            int64
	}{
		{64 * 1024, 4096, 3*64*1024 + 4096},
		{16 << 20, 4096, 3*(16<<20) + 4096},
		{1 << 30, 4096, 3<<30 + 4096},
		{64 * 1024, 2 << 20, 2 << 20},
		{16 << 20, 2 << 20, 50 << 20},
	}
	for _, c := range cases {
		if got := ComputeLogLength(c.termLength, c.pageSize); got != c.logLength {
			t.Errorf("log length(%d, %d) = %d, want %d", c.termLength, c.pageSize, got, c.logLength)
		}
	}
	for _, tl := range []int{1, 1000, 32 * 1024, 3 << 20, 2 << 30} {
		if CheckTermLength(tl) == nil {
			t.Errorf("term length %d accepted", tl)
		}
	}
	// Term ids wrap as int32: a stream starting near MaxInt32 keeps
	// counting positions up.
	initial := int32(math.MaxInt32 - 1)
	bits := PositionBitsToShift(64 * 1024)
	termID := initial + 3 // wraps to MinInt32+1
	pos := ComputePosition(termID, 128, bits, initial)
	if pos != 3<<16+128 || ComputeTermIDFromPosition(pos, bits, initial) != termID ||
		ComputeTermOffsetFromPosition(pos, bits) != 128 || IndexByTerm(initial, termID) != 0 || IndexByPosition(pos, bits) != 0 {
		t.Fatalf("wrapped position %d", pos)
	}
	if MaxPossiblePosition(64*1024) != 1<<47 || MaxMessageLength(64*1024) != 8192 || MaxMessageLength(1<<30) != 16<<20 {
		t.Fatal("limits")
	}
	// Appendix A: fetch-and-add of 64 on termId 102, offset 4096.
	meta := shm.NewAtomicBuffer(make([]byte, MetadataLength))
	SetRawTail(meta, 2, PackTail(102, 4096))
	if old := (Meta{meta}).GetAndAddRawTail(2, 64); old != 0x0000006600001000 || RawTailVolatile(meta, 2) != 0x0000006600001040 {
		t.Fatalf("fetch-and-add %#x", RawTailVolatile(meta, 2))
	}
}

func TestGapScanner(t *testing.T) {
	term := shm.NewAtomicBuffer(make([]byte, 64*1024))
	frame := func(off, length int) { term.PutInt32(off, int32(length)) }
	frame(0, 40)   // [0,64)
	frame(64, 100) // [64,192)
	frame(320, 32) // gap [192,320)
	var gotID int32
	var gotOff, gotLen int
	end := ScanForGap(term, 7, 0, 4096, func(id int32, off, n int) { gotID, gotOff, gotLen = id, off, n })
	if end != 192 || gotID != 7 || gotOff != 192 || gotLen != 128 {
		t.Fatalf("gap end %d: %d %d %d", end, gotID, gotOff, gotLen)
	}
	// Nothing after the gap: it runs to the limit.
	gotLen = 0
	end = ScanForGap(term, 7, 352, 1024, func(_ int32, off, n int) { gotOff, gotLen = off, n })
	if end != 352 || gotOff != 352 || gotLen != 672 {
		t.Fatalf("open gap %d %d %d", end, gotOff, gotLen)
	}
	// No gap up to the limit.
	called := false
	end = ScanForGap(term, 7, 0, 192, func(int32, int, int) { called = true })
	if end != 192 || called {
		t.Fatalf("no gap: %d %v", end, called)
	}
}
