package client

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// frame writes a data frame header and payload into term at offset
// (§1 data header layout) and returns a Header on it.
func frame(term []byte, offset int, flags uint8, session, termID int32, payload []byte) *Header {
	b := term[offset:]
	binary.LittleEndian.PutUint32(b[0:], uint32(logbuffer.DataHeaderLength+len(payload)))
	b[4], b[5] = 0, flags
	binary.LittleEndian.PutUint16(b[6:], logbuffer.HdrTypeData)
	binary.LittleEndian.PutUint32(b[8:], uint32(offset))
	binary.LittleEndian.PutUint32(b[12:], uint32(session))
	binary.LittleEndian.PutUint32(b[16:], 7)
	binary.LittleEndian.PutUint32(b[20:], uint32(termID))
	copy(b[logbuffer.DataHeaderLength:], payload)
	return &Header{Buf: shm.NewAtomicBuffer(term), Offset: offset}
}

func TestFragmentAssemblerDropsBrokenMessages(t *testing.T) {
	var got [][]byte
	a := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, h *Header) {
		got = append(got, append([]byte(nil), buf.Bytes()[offset:offset+length]...))
	}, 0)
	term := make([]byte, 4096)
	deliver := func(h *Header, n int) {
		a.Handler()(h.Buf, h.Offset+logbuffer.DataHeaderLength, n, h)
	}
	// begin, middle, end in sequence: one message.
	deliver(frame(term, 0, logbuffer.FlagBegin, 1, 5, []byte("ab")), 2)
	deliver(frame(term, 64, 0, 1, 5, []byte("cd")), 2)
	// A missing fragment (offset 128 skipped) drops the message.
	deliver(frame(term, 160, logbuffer.FlagEnd, 1, 5, []byte("ef")), 2)
	if len(got) != 0 {
		t.Fatalf("assembled across a gap: %q", got)
	}
	deliver(frame(term, 256, logbuffer.FlagBegin, 1, 5, []byte("ab")), 2)
	deliver(frame(term, 320, logbuffer.FlagEnd, 1, 5, []byte("cd")), 2)
	deliver(frame(term, 384, logbuffer.FlagBegin|logbuffer.FlagEnd, 2, 5, []byte("whole")), 5)
	if len(got) != 2 || !bytes.Equal(got[0], []byte("abcd")) || !bytes.Equal(got[1], []byte("whole")) {
		t.Fatalf("got %q", got)
	}
}

// FuzzFragmentAssembler feeds fragments with arbitrary flags, sessions,
// terms and offsets: whatever a lossy stream delivers, the assembler must
// not panic and must only deliver bytes it was given.
func FuzzFragmentAssembler(f *testing.F) {
	f.Add([]byte{0x80, 1, 0, 3, 0x00, 1, 1, 3, 0x40, 1, 2, 3})
	f.Add([]byte{0xC0, 2, 0, 10, 0x40, 2, 0, 1, 0x80, 3, 5, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		total := 0
		a := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, h *Header) {
			if length < 0 || offset < 0 || offset+length > buf.Capacity() {
				t.Fatalf("delivered %d@%d of %d", length, offset, buf.Capacity())
			}
			total += length
		}, 0)
		term := make([]byte, 64*1024)
		given := 0
		for i := 0; i+4 <= len(data) && i < 4*256; i += 4 {
			flags, session, slot, n := data[i]&0xC0, int32(data[i+1]&3), int(data[i+2]), int(data[i+3])
			offset := slot * 256
			h := frame(term, offset, flags, session, int32(data[i+2]>>6), bytes.Repeat([]byte{byte(i)}, n%200))
			given += n % 200
			a.Handler()(h.Buf, offset+logbuffer.DataHeaderLength, n%200, h)
		}
		if total > given {
			t.Fatalf("delivered %d bytes of %d given", total, given)
		}
	})
}
