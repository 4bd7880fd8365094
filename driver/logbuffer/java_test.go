package logbuffer

import (
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestAeronReadsOurLog writes a log with our CreateLog, Initialise and
// appenders, then maps it with Aeron's own LogBuffers and reads it with
// Aeron's TermReader, FragmentAssembler and TermScanner: the layout,
// metadata, tails, frames and positions are right only if Aeron agrees
// with what we expect from our side.
func TestAeronReadsOurLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	classpath := aeronjava.Compile(t, filepath.Join("testdata", "java"))

	const termLength = 64 * 1024
	path := filepath.Join(t.TempDir(), "77.logbuffer")
	l, err := CreateLog(path, termLength, 4096, false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Metadata().Initialise(Params{CorrelationID: 77, InitialTermID: 1000, TermLength: termLength, PageSize: 4096,
		MTU: 1408, SessionID: -5, StreamID: 1001, PublicationWindow: termLength / 2})
	SetIsConnected(l.Meta(), true)

	// Mixed sizes, some fragmented, across two rotations but never
	// lapping (nobody cleans here).
	var want strings.Builder
	shared := NewAppender(l)
	for i := 0; i < 110; i++ {
		msg := make([]byte, (i*331)%3000)
		for j := range msg {
			msg[j] = byte(i*7 + j)
		}
		var pos int64
		for tries := 0; tries < 3; tries++ {
			if pos = shared.Append(msg, int64(i)); pos != AdminAction {
				break
			}
		}
		if pos < 0 {
			t.Fatalf("append %d: %d", i, pos)
		}
		// Aeron's assembler reports the last fragment's header.
		fmt.Fprintf(&want, "msg %d %d %d %d %d %d\n", len(msg), crc32.ChecksumIEEE(msg), -5, 1001, i, pos)
	}
	producer := ProducerPosition(l.Meta())
	if producer < 2*termLength {
		t.Fatalf("only reached %d", producer)
	}

	out := aeronjava.Run(t, classpath, nil, 60*time.Second, "LogCheck", path)
	m := l.Meta()
	scan := ScanForAvailability(l.Term(0), 0, 4096)
	expected := fmt.Sprintf("meta 1000 1408 %d 4096 77 %d %d true\n", termLength, ActiveTermCount(m), EndOfStreamPosition(m))
	for i := 0; i < PartitionCount; i++ {
		raw := RawTailVolatile(m, i)
		expected += fmt.Sprintf("tail %d %d %d\n", i, TermID(raw), TermOffset(raw, termLength))
	}
	expected += fmt.Sprintf("producer %d\n", producer) + want.String() +
		fmt.Sprintf("read %d\nscan %d %d\n", producer, ScanAvailable(scan), ScanPadding(scan))
	if strings.TrimSpace(out) != strings.TrimSpace(expected) {
		t.Fatalf("Aeron sees\n%s\nwe expect\n%s", out, expected)
	}

	// And our reader agrees with the same positions.
	var h Header
	h.InitialTermID, h.BitsToShift = 1000, PositionBitsToShift(termLength)
	var last int64
	Read(l.Term(0), 0, func(_ shm.AtomicBuffer, _, _ int, hdr *Header) { last = hdr.Position() }, 1, &h)
	if !strings.Contains(out, fmt.Sprintf(" %d\n", last)) {
		t.Fatalf("our header position %d not among Aeron's", last)
	}
}
