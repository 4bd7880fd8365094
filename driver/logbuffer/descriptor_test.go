package logbuffer

import (
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// The rotation cases Aeron's LogBufferDescriptor is tested with.
func TestRotateLogCases(t *testing.T) {
	meta := shm.NewAtomicBuffer(make([]byte, MetadataLength))

	// The next partition already moved on: only the count advances.
	SetRawTail(meta, 2, PackTail(5, 1024))
	SetRawTail(meta, 0, PackTail(6, 2048))
	SetRawTail(meta, 1, PackTail(7, 4096))
	SetActiveTermCount(meta, 1)
	if !RotateLog(meta, 1, 5) || RawTailVolatile(meta, 2) != PackTail(5, 1024) || RawTailVolatile(meta, 0) != PackTail(6, 2048) ||
		RawTailVolatile(meta, 1) != PackTail(7, 4096) || ActiveTermCount(meta) != 2 {
		t.Fatal("rotation with a moved-on partition")
	}

	// The usual case: the next partition gets termId+1 at offset 0.
	SetRawTail(meta, 1, PackTail(51, 1024))
	SetRawTail(meta, 2, PackTail(51+1-PartitionCount, 2048))
	SetRawTail(meta, 0, PackTail(51+2-PartitionCount, 4096))
	SetActiveTermCount(meta, 19)
	if !RotateLog(meta, 19, 51) || RawTailVolatile(meta, 1) != PackTail(51, 1024) || RawTailVolatile(meta, 2) != PackTail(52, 0) ||
		RawTailVolatile(meta, 0) != PackTail(51+2-PartitionCount, 4096) || ActiveTermCount(meta) != 20 {
		t.Fatal("rotation")
	}

	// A stale term count changes nothing.
	SetRawTail(meta, 0, PackTail(23, 1024))
	SetRawTail(meta, 1, PackTail(23+18, 2048))
	SetRawTail(meta, 2, PackTail(23-19, 4096))
	SetActiveTermCount(meta, 42)
	if RotateLog(meta, 3, 23) || RawTailVolatile(meta, 0) != PackTail(23, 1024) || RawTailVolatile(meta, 1) != PackTail(41, 2048) ||
		RawTailVolatile(meta, 2) != PackTail(4, 4096) || ActiveTermCount(meta) != 42 {
		t.Fatal("stale rotation changed the log")
	}
}

func TestComputeFragmentedFrameLength(t *testing.T) {
	for _, c := range []struct{ length, maxPayload, want int }{
		{0, 1376, 0}, {10, 1024, 64}, {2048, 2048, 2080}, {4096, 1024, 4224}, {7997, 992, 8288},
	} {
		if got := ComputeFragmentedFrameLength(c.length, c.maxPayload); got != c.want {
			t.Errorf("fragmented length(%d, %d) = %d, want %d", c.length, c.maxPayload, got, c.want)
		}
	}
	// The appender claims the same space.
	w := frameWriter{maxPayload: 1376}
	for _, n := range []int{1, 1376, 1377, 2752, 5000, 8192} {
		if _, req := w.required(n); req != ComputeFragmentedFrameLength(n, 1376) {
			t.Errorf("appender claims %d for %d bytes", req, n)
		}
	}
}

func TestUnblockCases(t *testing.T) {
	hdr := make([]byte, DataHeaderLength)
	hdr[5], hdr[6] = FlagsUnfragmented, HdrTypeData
	const termLength = 64 * 1024
	term := shm.NewAtomicBuffer(make([]byte, termLength))

	// Header begun (negative length) and never committed.
	term.PutInt32(1024, -200)
	if Unblock(term, hdr, 9, 1024, 2048) != Unblocked || FrameLengthVolatile(term, 1024) != 200 ||
		FrameType(term, 1024) != HdrTypePad || term.GetInt32(1024+termIDOffset) != 9 || term.GetInt32(1024+termOffsetOffset) != 1024 {
		t.Fatal("negative length not padded")
	}
	// A committed frame is not blocked.
	if Unblock(term, hdr, 9, 1024, 2048) != NoAction {
		t.Fatal("committed frame unblocked")
	}
	// Zeros up to the tail and no later frame: a live claim may still be
	// written, so nothing is done.
	if Unblock(term, hdr, 9, 4096, 8192) != NoAction || FrameLengthVolatile(term, 4096) != 0 {
		t.Fatal("padded over a possibly live claim")
	}
	// Zeros up to a later frame: padded to it.
	term.PutInt32(4096+512, 64)
	if Unblock(term, hdr, 9, 4096, 8192) != Unblocked || FrameLengthVolatile(term, 4096) != 512 {
		t.Fatal("gap before a later frame not padded")
	}
	// Claims ran to the end of the term: padded to the end.
	if Unblock(term, hdr, 9, termLength-1024, termLength+300) != UnblockedToEnd || FrameLengthVolatile(term, termLength-1024) != 1024 {
		t.Fatal("not padded to the end")
	}
	// Offsets from a confused caller are refused.
	for _, off := range []int{-32, 3, termLength} {
		if Unblock(term, hdr, 9, off, termLength) != NoAction {
			t.Fatalf("offset %d accepted", off)
		}
	}
}

func TestFillGapRefusesBadGaps(t *testing.T) {
	term := shm.NewAtomicBuffer(make([]byte, 64*1024))
	hdr := make([]byte, DataHeaderLength)
	for _, g := range [][2]int{{-32, 64}, {16, 64}, {0, 0}, {0, 40}, {64*1024 - 32, 64}, {0, 1 << 40}} {
		if FillGap(term, hdr, 1, g[0], g[1]) {
			t.Fatalf("gap %v filled", g)
		}
	}
	if !FillGap(term, hdr, 1, 64, 96) || FrameLengthVolatile(term, 64) != 96 || FrameType(term, 64) != HdrTypePad {
		t.Fatal("gap not filled")
	}
}
