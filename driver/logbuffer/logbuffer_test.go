package logbuffer

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func TestPositionArithmetic(t *testing.T) {
	bits := PositionBitsToShift(64 * 1024)
	if bits != 16 {
		t.Fatal(bits)
	}
	p := ComputePosition(102, 4096, bits, 100)
	if p != 135168 || TermIDFromPosition(p, bits, 100) != 102 || TermOffsetFromPosition(p, bits) != 4096 || IndexByPosition(p, bits) != 2 {
		t.Fatalf("position %d", p)
	}
	raw := PackTail(102, 4096)
	if raw != 0x0000006600001000 || TermID(raw) != 102 || TermOffset(raw+64, 64*1024) != 4160 {
		t.Fatalf("raw tail %x", raw)
	}
	if TermOffset(PackTail(1, 70000), 65536) != 65536 {
		t.Fatal("offset not clamped")
	}
	if ComputeLogLength(16<<20, 4096) != 50335744 || ComputeLogLength(64<<20, 4096) != 201330688 {
		t.Fatal("log length")
	}
}

func newLog(t *testing.T, termLength, mtu int) *LogBuffers {
	t.Helper()
	return newLogWith(t, termLength, Params{CorrelationID: 1, InitialTermID: 7, TermLength: termLength, PageSize: 4096, MTU: mtu, SessionID: 11, StreamID: 1001})
}

func newLogWith(t *testing.T, termLength int, p Params) *LogBuffers {
	t.Helper()
	l, err := CreateLog(filepath.Join(t.TempDir(), "1.logbuffer"), termLength, 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	l.Metadata().Initialise(p)
	return l
}

// reassembling reader over the whole log, as a subscriber would.
type subscriber struct {
	log      *LogBuffers
	position int64
	clean    int64
	partial  []byte
	messages [][]byte
}

func (s *subscriber) poll(t *testing.T) {
	bits := PositionBitsToShift(s.log.TermLength())
	var h Header
	h.InitialTermID, h.BitsToShift = s.log.Metadata().InitialTermID(), bits
	for {
		index := IndexByPosition(s.position, bits)
		offset := int(TermOffsetFromPosition(s.position, bits))
		_, next := Read(s.log.Term(index), offset, func(buf shm.AtomicBuffer, off, length int, hdr *Header) {
			flags := hdr.Flags()
			if flags&FlagBegin != 0 {
				s.partial = s.partial[:0]
			}
			s.partial = append(s.partial, buf.Bytes()[off:off+length]...)
			if flags&FlagEnd != 0 {
				s.messages = append(s.messages, append([]byte(nil), s.partial...))
			}
			if hdr.SessionID() != 11 || hdr.StreamID() != 1001 {
				t.Fatalf("header session %d stream %d", hdr.SessionID(), hdr.StreamID())
			}
		}, 1000, &h)
		if next == offset {
			// Zero what everyone has consumed, as the driver does.
			for s.clean < s.position {
				Clean(s.log, &s.clean, s.position)
			}
			return
		}
		s.position += int64(next - offset)
	}
}

func TestAppendReadAcrossRotations(t *testing.T) {
	const termLength = 64 * 1024
	l := newLog(t, termLength, 1408)
	a := NewAppender(l)
	sub := &subscriber{log: l}
	var sent [][]byte
	seed := uint32(1)
	for i := 0; i < 3000; i++ {
		seed = seed*1664525 + 1013904223
		size := int(seed % 5000)
		msg := make([]byte, size)
		for j := range msg {
			msg[j] = byte(i + j)
		}
		if size >= 4 {
			binary.LittleEndian.PutUint32(msg, uint32(i))
		}
		for {
			pos := a.Append(msg, 0)
			if pos == AdminAction {
				continue
			}
			if pos < 0 {
				t.Fatalf("append %d", pos)
			}
			break
		}
		sent = append(sent, msg)
		// Consume as we go: a publisher never laps its subscriber.
		sub.poll(t)
	}
	if len(sub.messages) != len(sent) {
		t.Fatalf("received %d of %d", len(sub.messages), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(sent[i], sub.messages[i]) {
			t.Fatalf("message %d differs (%d vs %d bytes)", i, len(sent[i]), len(sub.messages[i]))
		}
	}
	if l.Metadata().ActiveTermCount() < 50 {
		t.Fatalf("only %d rotations", l.Metadata().ActiveTermCount())
	}
	if l.Metadata().ProducerPosition(termLength, 16) != sub.position {
		t.Fatalf("producer %d, subscriber %d", l.Metadata().ProducerPosition(termLength, 16), sub.position)
	}
}

func TestMapExisting(t *testing.T) {
	l := newLog(t, 64*1024, 4096)
	m, err := MapLog(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.TermLength() != 64*1024 || m.Metadata().MTULength() != 4096 || m.Metadata().InitialTermID() != 7 {
		t.Fatal("metadata")
	}
	h := m.Metadata().DefaultFrameHeader()
	if h[5] != 0xC0 || h[6] != 1 || binary.LittleEndian.Uint32(h[12:]) != 11 || binary.LittleEndian.Uint32(h[20:]) != 7 {
		t.Fatalf("default header % x", h)
	}
}

func TestUnblockAndScan(t *testing.T) {
	l := newLog(t, 64*1024, 1408)
	a := NewAppender(l)
	a.Append(make([]byte, 100), 0)
	// A publisher claims 256 bytes and dies before writing anything.
	l.Metadata().GetAndAddRawTail(0, 256)
	a.Append(make([]byte, 10), 0)
	term := l.Term(0)
	if avail := ScanAvailable(ScanForAvailability(term, 0, 4096)); avail != 160 {
		t.Fatalf("available %d", avail)
	}
	if Unblock(term, l.Metadata().DefaultFrameHeader(), 7, 160, 160+256+64) != Unblocked {
		t.Fatal("not unblocked")
	}
	out := ScanForAvailability(term, 0, 4096)
	avail, padding := ScanAvailable(out), ScanPadding(out)
	if avail != 192 || padding != 224 {
		t.Fatalf("after unblock: available %d padding %d", avail, padding)
	}
	sub := &subscriber{log: l}
	sub.poll(t)
	if len(sub.messages) != 2 {
		t.Fatalf("read %d messages past the unblocked gap", len(sub.messages))
	}
}

func TestInsertSkipsDuplicates(t *testing.T) {
	term := shm.NewAtomicBuffer(make([]byte, 64*1024))
	pkt := make([]byte, 64)
	binary.LittleEndian.PutUint32(pkt, 40)
	pkt[6] = HdrTypeData
	pkt[40] = 'x'
	Insert(term, 128, pkt)
	pkt[40] = 'y'
	Insert(term, 128, pkt)
	if term.Bytes()[168] != 'x' || FrameLengthVolatile(term, 128) != 40 {
		t.Fatal("duplicate overwrote the frame")
	}
	// Offsets a bad datagram could carry write nothing.
	before := string(term.Bytes())
	for _, off := range []int{-32, 33, 64*1024 - 32, 64 * 1024, 1 << 40} {
		Insert(term, off, pkt)
	}
	if string(term.Bytes()) != before {
		t.Fatal("out-of-range insert wrote")
	}
}

func TestNoAllocations(t *testing.T) {
	l := newLog(t, 1<<20, 1408)
	a := NewAppender(l)
	msg := make([]byte, 32)
	var h Header
	handler := func(shm.AtomicBuffer, int, int, *Header) {}
	if n := testing.AllocsPerRun(1000, func() {
		if a.Append(msg, 0) == AdminAction {
			return
		}
		Read(l.Term(0), 0, handler, 10, &h)
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzTermScan(f *testing.F) {
	f.Add([]byte{40, 0, 0, 0, 0, 0xc0, 1, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		term := shm.NewAtomicBuffer(make([]byte, 64*1024))
		copy(term.Bytes(), data)
		var h Header
		for off := 0; off < 256; off += 32 {
			Read(term, off, func(b shm.AtomicBuffer, o, n int, _ *Header) {
				if !b.Valid(o, n) {
					t.Fatalf("fragment [%d,+%d) outside the term", o, n)
				}
			}, 100, &h)
			end := ScanForGap(term, 1, off, 8192, func(_ int32, o, n int) {
				if o < off || n <= 0 || o+n > 8192 {
					t.Fatalf("gap [%d,+%d) from %d", o, n, off)
				}
			})
			if end < off {
				t.Fatalf("gap scan went back to %d from %d", end, off)
			}
			Unblock(term, make([]byte, DataHeaderLength), 1, off, 8192)
			FillGap(term, make([]byte, DataHeaderLength), 1, off, 64+off)
			out := ScanForAvailability(term, off, 4096)
			avail, pad := ScanAvailable(out), ScanPadding(out)
			if avail < -term.Capacity() || avail > 4096 || pad < -1 || pad > term.Capacity() {
				t.Fatalf("scan %d %d", avail, pad)
			}
		}
	})
}

func BenchmarkAppendRead(b *testing.B) {
	l, err := CreateLog(filepath.Join(b.TempDir(), "b.logbuffer"), 16<<20, 4096, true)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	l.Metadata().Initialise(Params{TermLength: 16 << 20, PageSize: 4096, MTU: 1408})
	a := NewAppender(l)
	msg := make([]byte, 32)
	var h Header
	handler := func(shm.AtomicBuffer, int, int, *Header) {}
	bits := PositionBitsToShift(16 << 20)
	pos := int64(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if a.Append(msg, 0) == AdminAction {
			continue
		}
		_, next := Read(l.Term(IndexByPosition(pos, bits)), int(TermOffsetFromPosition(pos, bits)), handler, 1, &h)
		pos += int64(next) - int64(TermOffsetFromPosition(pos, bits))
	}
}
