package receiver

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/congestion"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/lossdetect"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// sink is a transport that keeps what is sent.
type sink struct{ sent [][]byte }

func (s *sink) Receive([]backend.Message) (int, error) { return 0, nil }
func (s *sink) Send(msgs []backend.Message) (int, error) {
	for _, m := range msgs {
		s.sent = append(s.sent, append([]byte(nil), m.Buf...))
	}
	return len(msgs), nil
}
func (s *sink) LocalAddr() netip.AddrPort { return netip.MustParseAddrPort("198.18.0.2:40456") }
func (s *sink) Close() error              { return nil }

type requests struct{ n int }

func (r *requests) RequestImage(*Endpoint, protocol.Setup, netip.AddrPort, netip.AddrPort, int) {
	r.n++
}

const (
	testSession = 7
	testStream  = 1001
	testTerm    = 64 << 10
	testInitial = 100
)

var src = netip.MustParseAddrPort("198.18.0.1:50000")

// rig is a receive endpoint with one image of session 7, stream 1001.
type rig struct {
	ep  *Endpoint
	img *Image
	out *sink
	req *requests
	sys *counters.SystemCounters
	sub counters.Counter
}

func newRig(t testing.TB) *rig {
	t.Helper()
	meta := shm.NewAtomicBuffer(make([]byte, 1<<20))
	values := shm.NewAtomicBuffer(make([]byte, 1<<18))
	mgr := counters.NewManager(meta, values, func() int64 { return 0 }, 0)
	sys, err := counters.AllocateSystemCounters(mgr, "test", "none", 0, 1, 0, "SHARED", "1ms")
	if err != nil {
		t.Fatal(err)
	}
	u, err := uri.Parse("aeron:udp?endpoint=198.18.0.2:40456")
	if err != nil {
		t.Fatal(err)
	}
	ch := &uri.UDPChannel{URI: u, HasExplicitEndpoint: true, RemoteData: netip.MustParseAddrPort("198.18.0.2:40456")}
	out, req := &sink{}, &requests{}
	ep := NewEndpoint(EndpointParams{Channel: ch, Transport: out, System: sys, Requester: req, ReceiverID: 42, Batch: 4})
	ep.addSubscription(testStream, 0, false, 0)
	log, err := logbuffer.CreateLog(filepath.Join(t.TempDir(), "image.logbuffer"), testTerm, 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	log.Metadata().Initialise(logbuffer.Params{InitialTermID: testInitial, TermLength: testTerm, PageSize: 4096, MTU: 1408,
		SessionID: testSession, StreamID: testStream, Type: logbuffer.TypePublicationImage})
	var ctrs [4]counters.Counter
	for i := range ctrs {
		if ctrs[i], err = mgr.AllocateStream(counters.TypeReceiverPosition, "pos", 1, 1, testSession, testStream, "x", ""); err != nil {
			t.Fatal(err)
		}
	}
	cc, err := congestion.New("", congestion.Options{InitialWindowLength: 128 << 10, TermLength: testTerm, MTU: 1408})
	if err != nil {
		t.Fatal(err)
	}
	img := NewImage(ImageParams{CorrelationID: 1, SessionID: testSession, StreamID: testStream, InitialTermID: testInitial,
		ActiveTermID: testInitial, TermLength: testTerm, MTU: 1408, Log: log, Endpoint: ep, Source: src, Control: src,
		HWM: ctrs[0], RcvPos: ctrs[1], NaksSent: ctrs[2], CC: cc, NakDelay: lossdetect.NewStatic(0, 0),
		Reliable: true, SMTimeoutNs: 200e6, System: sys}, 0)
	img.SetSubscribers([]counters.Counter{ctrs[3]})
	ep.addImage(img)
	return &rig{ep: ep, img: img, out: out, req: req, sys: sys, sub: ctrs[3]}
}

// data builds a DATA datagram of one frame with payload bytes.
func data(termID, offset int32, payload int) []byte {
	n := protocol.Align(protocol.DataHeaderLength+payload, protocol.FrameAlignment)
	b := make([]byte, n)
	protocol.DataHeader{FrameLength: int32(protocol.DataHeaderLength + payload), Flags: protocol.FlagsUnfragmented,
		Type: protocol.TypeData, TermOffset: offset, SessionID: testSession, StreamID: testStream, TermID: termID}.Encode(b)
	return b
}

func TestDataIsRebuiltGapsAreNakedAndStatusSent(t *testing.T) {
	r := newRig(t)
	r.ep.onDatagram(data(testInitial, 0, 100), src, 0, 1)
	r.ep.onDatagram(data(testInitial, 320, 100), src, 0, 2) // a gap at 160..320
	if hwm := r.img.p.HWM.Get(); hwm != 480 {
		t.Fatalf("hwm %d, want 480", hwm)
	}
	r.img.trackRebuild(3)
	if pos := r.img.p.RcvPos.Get(); pos != 160 {
		t.Fatalf("rcv-pos %d, want 160 (stopped at the gap)", pos)
	}
	r.img.trackRebuild(4) // the NAK delay is 0: the timer fires
	var nak *protocol.Nak
	for _, b := range r.out.sent {
		if typ, _ := protocol.Validate(b); typ == protocol.TypeNak {
			n, _ := protocol.DecodeNak(b)
			nak = &n
		}
	}
	if nak == nil || nak.TermOffset != 160 || nak.Length != 160 || nak.TermID != testInitial {
		t.Fatalf("NAK %+v, want offset 160 length 160", nak)
	}
	r.ep.onDatagram(data(testInitial, 160, 100), src, 0, 5) // the retransmission
	r.img.trackRebuild(6)
	if pos := r.img.p.RcvPos.Get(); pos != 480 {
		t.Fatalf("rcv-pos %d after the retransmission, want 480", pos)
	}
	r.out.sent = nil
	r.img.sendPendingStatus(7)
	if len(r.out.sent) != 1 {
		t.Fatalf("sent %d frames, want one status message", len(r.out.sent))
	}
	sm, err := protocol.DecodeStatusMessage(r.out.sent[0])
	if err != nil || sm.ReceiverID != 42 || sm.ReceiverWindow != testTerm/2 || sm.SessionID != testSession {
		t.Fatalf("status message %+v %v", sm, err)
	}
}

func TestUnknownSessionElicitsSetupOnceAndSetupRequestsImage(t *testing.T) {
	r := newRig(t)
	other := data(testInitial, 0, 10)
	protocol.DataHeader{FrameLength: 42, Flags: protocol.FlagsUnfragmented, Type: protocol.TypeData, SessionID: 8,
		StreamID: testStream, TermID: testInitial}.Encode(other)
	r.ep.onDatagram(other, src, 0, 1)
	r.ep.onDatagram(other, src, 0, 2)
	if len(r.out.sent) != 1 {
		t.Fatalf("%d SEND_SETUP status messages, want 1 while pending", len(r.out.sent))
	}
	sm, _ := protocol.DecodeStatusMessage(r.out.sent[0])
	if sm.Flags&protocol.SMFlagSendSetup == 0 || sm.SessionID != 8 {
		t.Fatalf("status message %+v", sm)
	}
	setup := make([]byte, protocol.SetupLength)
	protocol.Setup{SessionID: 8, StreamID: testStream, InitialTermID: 5, ActiveTermID: 5, TermLength: testTerm, MTU: 1408}.Encode(setup)
	r.ep.onDatagram(setup, src, 0, 3)
	r.ep.onDatagram(setup, src, 0, 4)
	if r.req.n != 1 {
		t.Fatalf("%d image requests, want 1", r.req.n)
	}
}

func TestMalformedDatagramsAreCountedAndDropped(t *testing.T) {
	r := newRig(t)
	bad := [][]byte{{1, 2, 3}, make([]byte, 31), data(testInitial, 0, 10)[:40]}
	d := data(testInitial, testTerm-32, 100) // runs past the term end
	bad = append(bad, d)
	for _, b := range bad {
		r.ep.onDatagram(b, src, 0, 1)
	}
	if n := r.sys.InvalidPackets.Get(); n != int64(len(bad)) {
		t.Fatalf("invalid packets %d, want %d", n, len(bad))
	}
}

func TestReceivePathDoesNotAllocate(t *testing.T) {
	r := newRig(t)
	frames := make([][]byte, 64)
	for i := range frames {
		frames[i] = data(testInitial, int32(i*160), 100)
	}
	i := 0
	now := int64(0)
	if n := testing.AllocsPerRun(1000, func() {
		now += 1000
		r.ep.onDatagram(frames[i%len(frames)], src, 0, now)
		r.img.trackRebuild(now)
		i++
	}); n != 0 {
		t.Fatalf("%v allocs per datagram", n)
	}
}

// FuzzDatagram feeds arbitrary bytes to a receive endpoint with an image:
// nothing may panic or write outside the log.
func FuzzDatagram(f *testing.F) {
	f.Add(data(testInitial, 0, 100))
	f.Add(data(testInitial, testTerm-160, 100))
	setup := make([]byte, protocol.SetupLength)
	protocol.Setup{SessionID: 9, StreamID: testStream, InitialTermID: 5, ActiveTermID: 5, TermLength: testTerm, MTU: 1408}.Encode(setup)
	f.Add(setup)
	rttm := make([]byte, protocol.RTTMLength)
	protocol.RTTM{Flags: protocol.RTTMFlagReply, SessionID: testSession, StreamID: testStream}.Encode(rttm)
	f.Add(rttm)
	r := newRig(f)
	now := int64(0)
	f.Fuzz(func(t *testing.T, b []byte) {
		now += 1e6
		r.ep.onDatagram(b, src, 0, now)
		r.img.trackRebuild(now)
		r.img.sendPendingStatus(now)
		r.out.sent = r.out.sent[:0]
	})
}

// A PAD frame at the end of a term counts as its header against the
// window, as the sender counts it: its padding is no overrun.
func TestTermEndPaddingIsNoOverrun(t *testing.T) {
	r := newRig(t)
	offset := int32(testTerm/2 - 32)
	pad := make([]byte, protocol.DataHeaderLength)
	protocol.DataHeader{FrameLength: testTerm - offset, Flags: protocol.FlagsUnfragmented, Type: protocol.TypePad,
		TermOffset: offset, SessionID: testSession, StreamID: testStream, TermID: testInitial}.Encode(pad)
	r.ep.onDatagram(pad, src, 0, 1)
	if n := r.sys.FlowControlOverRuns.Get(); n != 0 {
		t.Fatalf("%d overruns for a term-end PAD inside the window", n)
	}
	if hwm := r.img.p.HWM.Get(); hwm != testTerm/2 {
		t.Fatalf("hwm %d, want %d (the PAD header's end)", hwm, testTerm/2)
	}
}
