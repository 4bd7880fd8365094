package sender

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/driver/flowcontrol"
	"github.com/aeron-bypass/aeron-bypass/driver/logbuffer"
	"github.com/aeron-bypass/aeron-bypass/driver/protocol"
	"github.com/aeron-bypass/aeron-bypass/driver/retransmit"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/counters"
	"github.com/aeron-bypass/aeron-bypass/driver/uri"
)

// sink is a transport that records the types of what is sent.
type sink struct {
	types []uint16
	bytes int
	keep  bool
	last  []byte
}

func (s *sink) Receive([]backend.Message) (int, error) { return 0, nil }
func (s *sink) Send(msgs []backend.Message) (int, error) {
	for _, m := range msgs {
		if s.keep {
			h, _ := protocol.DecodeHeader(m.Buf)
			s.types = append(s.types, h.Type)
			s.last = append(s.last[:0], m.Buf...)
		}
		s.bytes += len(m.Buf)
	}
	return len(msgs), nil
}
func (s *sink) LocalAddr() netip.AddrPort { return netip.MustParseAddrPort("198.18.0.1:50000") }
func (s *sink) Close() error              { return nil }

const (
	testSession = 7
	testStream  = 1001
	testTerm    = 64 << 10
	testInitial = 100
)

var rcv = netip.MustParseAddrPort("198.18.0.2:40456")

type rig struct {
	pub *Publication
	ep  *Endpoint
	out *sink
	app *logbuffer.ExclusiveAppender
	sys *counters.SystemCounters
}

func newRig(t testing.TB) *rig {
	t.Helper()
	mgr := counters.NewManager(shm.NewAtomicBuffer(make([]byte, 1<<20)), shm.NewAtomicBuffer(make([]byte, 1<<18)), func() int64 { return 0 }, 0)
	sys, err := counters.AllocateSystemCounters(mgr, "test", "none", 0, 1, 0, "SHARED", "1ms")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := uri.Parse("aeron:udp?endpoint=198.18.0.2:40456")
	ch := &uri.UDPChannel{URI: u, HasExplicitEndpoint: true, RemoteData: rcv}
	out := &sink{keep: true}
	ep := NewEndpoint(ch, out, sys, 4)
	log, err := logbuffer.CreateLog(filepath.Join(t.TempDir(), "pub.logbuffer"), testTerm, 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	log.Metadata().Initialise(logbuffer.Params{InitialTermID: testInitial, TermLength: testTerm, PageSize: 4096, MTU: 1408,
		SessionID: testSession, StreamID: testStream, Type: logbuffer.TypeExclusivePublication})
	var ctrs [4]counters.Counter
	for i := range ctrs {
		if ctrs[i], err = mgr.AllocateStream(counters.TypeSenderPosition, "pos", 1, 1, testSession, testStream, "x", ""); err != nil {
			t.Fatal(err)
		}
	}
	fc, err := flowcontrol.New("", flowcontrol.DefaultOptions(), testTerm)
	if err != nil {
		t.Fatal(err)
	}
	pub := NewPublication(Params{RegistrationID: 1, SessionID: testSession, StreamID: testStream, InitialTermID: testInitial,
		TermLength: testTerm, MTU: 1408, SignalEOS: true, Log: log, Endpoint: ep, SndPos: ctrs[0], SndLmt: ctrs[1],
		SndBPE: ctrs[2], NaksReceived: ctrs[3], FlowControl: fc, Retransmit: retransmit.Options{LingerNs: 10e6}, System: sys})
	ep.pubs[key(testSession, testStream)] = pub
	return &rig{pub: pub, ep: ep, out: out, app: logbuffer.NewExclusiveAppender(log), sys: sys}
}

func (r *rig) statusMessage(pos int64, window int32) []byte {
	b := make([]byte, protocol.SMLength)
	bits := logbuffer.PositionBitsToShift(testTerm)
	protocol.StatusMessage{SessionID: testSession, StreamID: testStream,
		ConsumptionTermID:     logbuffer.ComputeTermIDFromPosition(pos, bits, testInitial),
		ConsumptionTermOffset: int32(pos & (testTerm - 1)), ReceiverWindow: window, ReceiverID: 5}.Encode(b)
	return b
}

func TestSetupThenDataThenHeartbeatAndRetransmit(t *testing.T) {
	r := newRig(t)
	msg := make([]byte, 100)
	if r.app.Append(msg, 0) < 0 {
		t.Fatal("offer")
	}
	r.pub.send(0)
	if len(r.out.types) != 1 || r.out.types[0] != protocol.TypeSetup {
		t.Fatalf("sent %v before any status message, want one SETUP", r.out.types)
	}
	r.pub.send(50e6) // within the SETUP interval: nothing
	if len(r.out.types) != 1 {
		t.Fatalf("sent %v, want nothing more inside the SETUP interval", r.out.types)
	}
	r.ep.onFrame(r.statusMessage(0, 1<<16), rcv, 60e6)
	r.out.types = nil
	r.pub.send(70e6)
	if len(r.out.types) != 1 || r.out.types[0] != protocol.TypeData || r.pub.p.SndPos.Get() != 160 {
		t.Fatalf("sent %v, snd-pos %d; want the DATA frame and 160", r.out.types, r.pub.p.SndPos.Get())
	}
	r.out.types = nil
	r.pub.send(300e6)
	h, _ := protocol.DecodeDataHeader(r.out.last)
	if len(r.out.types) != 1 || h.FrameLength != 0 || h.TermOffset != 160 || r.sys.HeartbeatsSent.Get() != 1 {
		t.Fatalf("idle sender sent %v (%+v), want one heartbeat at 160", r.out.types, h)
	}
	nak := make([]byte, protocol.NakLength)
	protocol.Nak{SessionID: testSession, StreamID: testStream, TermID: testInitial, TermOffset: 0, Length: 160}.Encode(nak)
	r.out.types = nil
	r.ep.onFrame(nak, rcv, 310e6)
	r.ep.onFrame(nak, rcv, 311e6) // inside the linger: ignored
	if len(r.out.types) != 1 || r.sys.RetransmitsSent.Get() != 1 || r.pub.p.NaksReceived.Get() != 2 {
		t.Fatalf("NAKs gave %v, %d retransmits; want one resend", r.out.types, r.sys.RetransmitsSent.Get())
	}
	r.pub.SetEndOfStream()
	r.out.types = nil
	r.pub.send(500e6)
	h, _ = protocol.DecodeDataHeader(r.out.last)
	if h.Flags&protocol.FlagEOS == 0 {
		t.Fatalf("heartbeat after end of stream has flags %#x", h.Flags)
	}
}

func TestSendPathDoesNotAllocate(t *testing.T) {
	r := newRig(t)
	r.out.keep = false
	r.pub.send(0)
	r.ep.onFrame(r.statusMessage(0, 1<<16), rcv, 1)
	msg := make([]byte, 100)
	now := int64(2)
	// Append, send, and a status message in; the limit keeps moving, so
	// the log rotates through its terms many times.
	smb := r.statusMessage(0, 1<<16)
	bits := logbuffer.PositionBitsToShift(testTerm)
	if n := testing.AllocsPerRun(5000, func() {
		now += 1000
		r.app.Append(msg, 0)
		r.pub.send(now)
		pos := r.pub.p.SndPos.Get()
		// Acknowledge everything sent, as a receiver would.
		smb[16] = 0
		sm := protocol.StatusMessage{SessionID: testSession, StreamID: testStream,
			ConsumptionTermID:     logbuffer.ComputeTermIDFromPosition(pos, bits, testInitial),
			ConsumptionTermOffset: int32(pos & (testTerm - 1)), ReceiverWindow: 1 << 15, ReceiverID: 5}
		sm.Encode(smb)
		r.ep.onFrame(smb, rcv, now)
	}); n != 0 {
		t.Fatalf("offer, send and status message: %v allocs", n)
	}
}

// FuzzControlFrame feeds arbitrary bytes to a send endpoint with a
// publication: nothing may panic, and resends stay inside the log.
func FuzzControlFrame(f *testing.F) {
	r := newRig(f)
	r.out.keep = false
	f.Add(r.statusMessage(0, 1<<16))
	nak := make([]byte, protocol.NakLength)
	protocol.Nak{SessionID: testSession, StreamID: testStream, TermID: testInitial, TermOffset: 0, Length: 4096}.Encode(nak)
	f.Add(nak)
	rttm := make([]byte, protocol.RTTMLength)
	protocol.RTTM{Flags: protocol.RTTMFlagReply, SessionID: testSession, StreamID: testStream}.Encode(rttm)
	f.Add(rttm)
	msg := make([]byte, 500)
	now := int64(0)
	f.Fuzz(func(t *testing.T, b []byte) {
		now += 1e6
		r.app.Append(msg, 0)
		r.ep.onFrame(b, rcv, now)
		r.pub.send(now)
	})
}
