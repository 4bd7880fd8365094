package logbuffer

import (
	"bytes"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

func TestExclusiveAppenderAcrossRotations(t *testing.T) {
	const termLength = 64 * 1024
	l := newLog(t, termLength, 1408)
	a := NewExclusiveAppender(l)
	sub := &subscriber{log: l}
	var sent [][]byte
	for i := 0; i < 2000; i++ {
		msg := bytes.Repeat([]byte{byte(i)}, (i*397)%4000)
		var pos int64
		for tries := 0; tries < 3; tries++ {
			if pos = a.Append(msg, 0); pos != AdminAction {
				break
			}
		}
		if pos < 0 {
			t.Fatalf("append %d: %d", i, pos)
		}
		if pos != ProducerPosition(l.Meta()) {
			t.Fatalf("position %d, tail says %d", pos, ProducerPosition(l.Meta()))
		}
		sent = append(sent, msg)
		sub.poll(t)
	}
	if len(sub.messages) != len(sent) {
		t.Fatalf("received %d of %d", len(sub.messages), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(sent[i], sub.messages[i]) {
			t.Fatalf("message %d differs", i)
		}
	}
	if ActiveTermCount(l.Meta()) < 30 {
		t.Fatalf("only %d rotations", ActiveTermCount(l.Meta()))
	}
	// A second exclusive appender over the same log carries on from the tail.
	b := NewExclusiveAppender(l)
	if pos := b.Append([]byte("x"), 0); pos != sub.position+64 && pos != AdminAction {
		t.Fatalf("resumed at %d, subscriber at %d", pos, sub.position)
	}
}

func TestClaimCommitAbort(t *testing.T) {
	l := newLog(t, 64*1024, 1408)
	a := NewAppender(l)
	var c BufferClaim
	if pos := a.Claim(100, &c); pos != 160 {
		t.Fatalf("claim position %d", pos)
	}
	sub := &subscriber{log: l}
	sub.poll(t)
	if len(sub.messages) != 0 {
		t.Fatal("uncommitted claim was read")
	}
	copy(c.Buffer().Bytes(), "claimed")
	c.SetReservedValue(42)
	c.Commit()
	var d BufferClaim
	a.Claim(10, &d)
	d.Abort()
	a.Append([]byte("after"), 0)
	sub.poll(t)
	if len(sub.messages) != 2 || string(sub.messages[0][:7]) != "claimed" || len(sub.messages[0]) != 100 || string(sub.messages[1]) != "after" {
		t.Fatalf("read %q", sub.messages)
	}
	if a.Claim(1408, &c) != PublicationError || a.Append(make([]byte, 8193), 0) != PublicationError {
		t.Fatal("over-long claim or message accepted")
	}
}

func TestReservedValueSupplier(t *testing.T) {
	l := newLog(t, 64*1024, 1408)
	a := NewAppender(l)
	a.ReservedValueSupplier = func(term shm.AtomicBuffer, off, length int) int64 {
		return int64(length)<<32 | int64(term.GetUint8(off+DataHeaderLength))
	}
	a.Append(append([]byte{7}, make([]byte, 2000)...), 0)
	var h Header
	var got []int64
	Read(l.Term(0), 0, func(_ shm.AtomicBuffer, _, _ int, hdr *Header) { got = append(got, hdr.ReservedValue()) }, 10, &h)
	// Two fragments: 1376 payload bytes with a leading 7, then 625.
	if len(got) != 2 || got[0] != 1408<<32|7 || got[1] != (625+32)<<32 {
		t.Fatalf("reserved values %x", got)
	}
}

func BenchmarkExclusiveAppend(b *testing.B) {
	l, err := CreateLog(b.TempDir()+"/x.logbuffer", 16<<20, 4096, true)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	l.Metadata().Initialise(Params{TermLength: 16 << 20, PageSize: 4096, MTU: 1408})
	a := NewExclusiveAppender(l)
	msg := make([]byte, 32)
	var clean int64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pos := a.Append(msg, 0)
		if pos == AdminAction {
			// Nobody reads here: keep the next partition clean.
			for clean < ProducerPosition(l.Meta())-(16<<20) {
				Clean(l, &clean, ProducerPosition(l.Meta())-(16<<20))
			}
		}
	}
}

func TestExclusiveAndClaimAllocateNothing(t *testing.T) {
	l := newLog(t, 1<<20, 1408)
	e := NewExclusiveAppender(l)
	msg := make([]byte, 32)
	if n := testing.AllocsPerRun(1000, func() { e.Append(msg, 0) }); n != 0 {
		t.Fatalf("exclusive append: %v allocations", n)
	}
	l2 := newLog(t, 1<<20, 1408)
	a := NewAppender(l2)
	var c BufferClaim
	if n := testing.AllocsPerRun(1000, func() {
		if a.Claim(32, &c) > 0 {
			c.Commit()
		}
	}); n != 0 {
		t.Fatalf("claim: %v allocations", n)
	}
}

func TestScanForAvailability(t *testing.T) {
	l := newLog(t, 64*1024, 1408)
	a := NewAppender(l)
	for i := 0; i < 4; i++ {
		a.Append(make([]byte, 200), 0) // 256 bytes each
	}
	term := l.Term(0)
	cases := []struct{ offset, max, avail, pad int }{
		{0, 4096, 1024, 0},
		{0, 600, 512, 0},
		{256, 256, 256, 0},
		{0, 100, -256, -1}, // the first frame alone does not fit
		{1024, 4096, 0, 0},
	}
	for _, c := range cases {
		out := ScanForAvailability(term, c.offset, c.max)
		if ScanAvailable(out) != c.avail || ScanPadding(out) != c.pad {
			t.Errorf("scan(%d, %d) = %d,%d want %d,%d", c.offset, c.max, ScanAvailable(out), ScanPadding(out), c.avail, c.pad)
		}
	}
	// Trip the term: the rest becomes one PAD frame, sent as its header.
	SetRawTail(l.Meta(), 0, PackTail(7, 64*1024-512))
	if a.Append(make([]byte, 1000), 0) != AdminAction {
		t.Fatal("no trip")
	}
	out := ScanForAvailability(term, 64*1024-512, 4096)
	if ScanAvailable(out) != 32 || ScanPadding(out) != 480 {
		t.Fatalf("pad scan %d,%d", ScanAvailable(out), ScanPadding(out))
	}
	if o := PackScanOutcome(480, 1024); o != 480<<32|1024 || ScanAvailable(o) != 1024 || ScanPadding(o) != 480 {
		t.Fatal("packing")
	}
}

// A log whose metadata holds no usable MTU (not initialised, or damaged)
// refuses appends instead of fragmenting by a negative payload.
func TestAppendWithoutMTU(t *testing.T) {
	l, err := CreateLog(t.TempDir()+"/bad.logbuffer", 64*1024, 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var c BufferClaim
	if NewAppender(l).Append([]byte("x"), 0) != PublicationError || NewExclusiveAppender(l).Append([]byte("x"), 0) != PublicationError ||
		NewAppender(l).Claim(1, &c) != PublicationError {
		t.Fatal("appended without an MTU")
	}
}

// An exclusive publication claims, commits and aborts like a concurrent
// one, and its claims carry on across term rotations.
func TestExclusiveClaim(t *testing.T) {
	l := newLog(t, 64*1024, 1408)
	a := NewExclusiveAppender(l)
	sub := &subscriber{log: l}
	committed := 0
	for i := 0; i < 600; i++ {
		var c BufferClaim
		pos := a.Claim(200, &c)
		if pos == AdminAction {
			pos = a.Claim(200, &c)
		}
		if pos < 0 {
			t.Fatalf("claim %d: %d", i, pos)
		}
		if pos != ProducerPosition(l.Meta()) {
			t.Fatalf("claim position %d, tail says %d", pos, ProducerPosition(l.Meta()))
		}
		if i%5 == 4 {
			c.Abort()
		} else {
			c.Buffer().PutInt32(0, int32(i))
			c.Commit()
			committed++
		}
		sub.poll(t)
	}
	if len(sub.messages) != committed || ActiveTermCount(l.Meta()) < 1 {
		t.Fatalf("read %d of %d committed claims over %d rotations", len(sub.messages), committed, ActiveTermCount(l.Meta()))
	}
	var c BufferClaim
	if a.Claim(1408, &c) != PublicationError {
		t.Fatal("over-long claim accepted")
	}
}
