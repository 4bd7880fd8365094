package logbuffer_test

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestMapLogOfJavaDriver asks Aeron's Java driver, with our command
// encoders, for an exclusive publication starting mid-stream, decodes its
// ON_EXCLUSIVE_PUBLICATION_READY with our decoder, and maps the log the
// driver created with MapLog: every metadata field and tail must read as
// §2.2 and §2.3 say Aeron writes them.
func TestMapLogOfJavaDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	dir := filepath.Join(t.TempDir(), "aeron")
	aeronjava.StartMediaDriver(t, dir, nil)
	f, err := cnc.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	rx, err := broadcast.NewReceiver(f.ToClients())
	if err != nil {
		t.Fatal(err)
	}
	copier := broadcast.NewCopyReceiver(rx)

	clientID := ring.NextCorrelationID()
	correlationID := ring.NextCorrelationID()
	const channel = "aeron:ipc?term-length=64k|init-term-id=100|term-id=102|term-offset=4096"
	buf := make([]byte, 256)
	n, err := command.EncodeAddExclusivePublication(buf, clientID, correlationID, 1001, channel)
	if err != nil {
		t.Fatal(err)
	}
	if !ring.Write(command.AddExclusivePublication, buf[:n]) {
		t.Fatal("ring refused the command")
	}

	var ready command.PublicationBuffersReady
	var logFile string
	var failure string
	deadline := time.Now().Add(20 * time.Second)
	for logFile == "" && failure == "" && time.Now().Before(deadline) {
		_, err := copier.Receive(func(typeID int32, b []byte) {
			switch typeID {
			case command.OnExclusivePublicationReady:
				m, err := command.DecodePublicationReady(b)
				if err == nil && m.CorrelationID == correlationID {
					ready, logFile = m, string(m.LogFileName)
				}
			case command.OnError:
				if m, err := command.DecodeError(b); err == nil && m.OffendingCorrelationID == correlationID {
					failure = m.Code.String() + ": " + string(m.Message)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if failure != "" || logFile == "" {
		t.Fatalf("no publication from the Java driver (error %q)", failure)
	}
	if ready.RegistrationID != correlationID || ready.StreamID != 1001 || ready.ChannelStatusIndicatorID != -1 || ready.PositionLimitCounterID < 0 {
		t.Fatalf("ready %+v", ready)
	}

	l, err := logbuffer.MapLog(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := l.Meta()
	const termLength = 64 * 1024
	if l.TermLength() != termLength || logbuffer.TermLengthOf(m) != termLength || logbuffer.InitialTermID(m) != 100 ||
		logbuffer.MTULength(m) != 1408 || logbuffer.PageSizeOf(m) != 4096 || logbuffer.CorrelationID(m) != correlationID ||
		logbuffer.EndOfStreamPosition(m) != math.MaxInt64 || logbuffer.DefaultFrameHeaderLength(m) != logbuffer.DataHeaderLength ||
		logbuffer.LogType(m) != logbuffer.TypeExclusivePublication {
		t.Fatalf("metadata: term %d initial %d mtu %d page %d correlation %d eos %d header %d type %d",
			logbuffer.TermLengthOf(m), logbuffer.InitialTermID(m), logbuffer.MTULength(m), logbuffer.PageSizeOf(m),
			logbuffer.CorrelationID(m), logbuffer.EndOfStreamPosition(m), logbuffer.DefaultFrameHeaderLength(m), logbuffer.LogType(m))
	}
	// term 102 is the third term: partition 2 holds offset 4096, the next
	// two partitions hold term ids 100 and 101 (termId + i - 3).
	if logbuffer.ActiveTermCount(m) != 2 || logbuffer.RawTailVolatile(m, 2) != logbuffer.PackTail(102, 4096) ||
		logbuffer.RawTailVolatile(m, 0) != logbuffer.PackTail(100, 0) || logbuffer.RawTailVolatile(m, 1) != logbuffer.PackTail(101, 0) {
		t.Fatalf("tails %#x %#x %#x count %d", logbuffer.RawTailVolatile(m, 0), logbuffer.RawTailVolatile(m, 1),
			logbuffer.RawTailVolatile(m, 2), logbuffer.ActiveTermCount(m))
	}
	if logbuffer.ProducerPosition(m) != 2*termLength+4096 {
		t.Fatalf("producer position %d", logbuffer.ProducerPosition(m))
	}
	h := logbuffer.DefaultFrameHeader(m)
	var hw [logbuffer.DataHeaderLength]byte
	copy(hw[:], h)
	if hw[5] != logbuffer.FlagsUnfragmented || hw[6] != logbuffer.HdrTypeData || le32(hw[12:]) != ready.SessionID ||
		le32(hw[16:]) != 1001 || le32(hw[20:]) != 100 {
		t.Fatalf("default header % x", hw)
	}

	// Our exclusive appender continues the Java driver's stream where it
	// starts.
	a := logbuffer.NewExclusiveAppender(l)
	if pos := a.Append([]byte("hello"), 0); pos != 2*termLength+4096+64 {
		t.Fatalf("appended at %d", pos)
	}
}

func le32(b []byte) int32 {
	return int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
}
