package command

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustEnc(t *testing.T) func(int, error) int {
	return func(n int, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func le(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Byte layouts from §7.3/§7.4 (client id 0x0102030405060708 where a
// client id appears, correlation id 5, stream 10).
func TestCommandLayouts(t *testing.T) {
	enc := mustEnc(t)
	buf := make([]byte, 256)
	const cid = 0x0102030405060708
	n := enc(EncodeAddPublication(buf, cid, 5, 10, "aeron:ipc"))
	want := le("0807060504030201 0500000000000000 0a000000 09000000") // then the channel
	want = append(want, "aeron:ipc"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ADD_PUBLICATION\n got % x\nwant % x", buf[:n], want)
	}
	n = enc(EncodeAddSubscription(buf, cid, 5, 10, "aeron:ipc"))
	want = append(le("0807060504030201 0500000000000000 ffffffffffffffff 0a000000 09000000"), "aeron:ipc"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ADD_SUBSCRIPTION\n got % x\nwant % x", buf[:n], want)
	}
	// Counter key of 3 bytes is padded to 4 before the label length.
	n = enc(EncodeAddCounter(buf, cid, 5, 1001, []byte{1, 2, 3}, "ab"))
	want = append(le("0807060504030201 0500000000000000 e9030000 03000000 01020300 02000000"), "ab"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ADD_COUNTER\n got % x\nwant % x", buf[:n], want)
	}
	n = enc(EncodeAddStaticCounter(buf, cid, 5, 77, 1001, []byte{9}, "x"))
	want = append(le("0807060504030201 0500000000000000 4d00000000000000 e9030000 01000000 09000000 01000000"), 'x')
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ADD_STATIC_COUNTER\n got % x\nwant % x", buf[:n], want)
	}
	n = enc(EncodeRemovePublication(buf, cid, 5, 3, RemovePublicationFlagRevoke))
	if !bytes.Equal(buf[:n], le("0807060504030201 0500000000000000 0300000000000000 0100000000000000")) {
		t.Fatalf("REMOVE_PUBLICATION % x", buf[:n])
	}
	n = enc(EncodeRejectImage(buf, cid, 5, 6, 4096, "no"))
	want = append(le("0807060504030201 0500000000000000 0600000000000000 0010000000000000 02000000"), "no"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("REJECT_IMAGE % x", buf[:n])
	}
	if n = enc(EncodeGetNextAvailableSessionID(buf, cid, 5, 10)); n != 20 {
		t.Fatalf("GET_NEXT_AVAILABLE_SESSION_ID length %d", n)
	}
}

func TestResponseLayouts(t *testing.T) {
	enc := mustEnc(t)
	buf := make([]byte, 256)
	n := enc(EncodeError(buf, 5, ErrInvalidChannel, "bad"))
	want := append(le("0500000000000000 01000000 03000000"), "bad"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ON_ERROR % x", buf[:n])
	}
	n = enc(EncodePublicationReady(buf, 5, 4, 1001, 10, 7, -1, "a.log"))
	want = append(le("0500000000000000 0400000000000000 e9030000 0a000000 07000000 ffffffff 05000000"), "a.log"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ON_PUBLICATION_READY % x", buf[:n])
	}
	// The log file name (5 bytes) is padded to 8 before the source identity.
	n = enc(EncodeAvailableImage(buf, 5, 1001, 10, 9, 3, "a.log", "aeron:ipc"))
	want = append(le("0500000000000000 e9030000 0a000000 0900000000000000 03000000 05000000"), "a.log\x00\x00\x00"...)
	want = append(append(want, le("09000000")...), "aeron:ipc"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ON_AVAILABLE_IMAGE\n got % x\nwant % x", buf[:n], want)
	}
	n = enc(EncodeUnavailableImage(buf, 5, 9, 10, "aeron:ipc"))
	want = append(le("0500000000000000 0900000000000000 0a000000 09000000"), "aeron:ipc"...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("ON_UNAVAILABLE_IMAGE % x", buf[:n])
	}
	m := PublicationErrorFrame{RegistrationID: 1, DestinationRegistrationID: -1, SessionID: 2, StreamID: 3, ReceiverID: 4,
		GroupTag: -1, AddressType: AddressTypeIPv4, SourcePort: 0x9c40, ErrorCode: ErrImageRejected, Message: []byte("gone")}
	copy(m.SourceAddress[:], []byte{127, 0, 0, 1})
	n = enc(EncodePublicationError(buf, &m))
	want = append(le("0100000000000000 ffffffffffffffff 02000000 03000000 0400000000000000 ffffffffffffffff 0100 409c"+
		" 7f000001000000000000000000000000 0d000000 04000000"), "gone"...)
	if !bytes.Equal(buf[:n], want) || n != 72 {
		t.Fatalf("ON_PUBLICATION_ERROR\n got % x\nwant % x", buf[:n], want)
	}
	got, err := DecodePublicationError(buf[:n])
	if err != nil || got.SourcePort != m.SourcePort || got.SourceAddress != m.SourceAddress || string(got.Message) != "gone" ||
		got.GroupTag != -1 || got.ErrorCode != ErrImageRejected {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestRoundTrips(t *testing.T) {
	enc := mustEnc(t)
	buf := make([]byte, 1024)
	c := CorrelatedMessage{ClientID: 11, CorrelationID: 12}

	n := enc(EncodeAddPublication(buf, 11, 12, 1001, "aeron:udp?endpoint=localhost:40123"))
	p, err := DecodePublication(buf[:n])
	if err != nil || p.CorrelatedMessage != c || p.StreamID != 1001 || string(p.Channel) != "aeron:udp?endpoint=localhost:40123" {
		t.Fatalf("publication %+v %v", p, err)
	}
	n = enc(EncodeAddSubscription(buf, 11, 12, 7, "aeron-spy:aeron:udp?endpoint=x:1"))
	s, err := DecodeSubscription(buf[:n])
	if err != nil || s.CorrelatedMessage != c || s.StreamID != 7 || s.RegistrationCorrelationID != -1 || string(s.Channel) != "aeron-spy:aeron:udp?endpoint=x:1" {
		t.Fatalf("subscription %+v %v", s, err)
	}
	n = enc(EncodeRemove(buf, 11, 12, 99))
	r, err := DecodeRemove(buf[:n])
	if err != nil || r.CorrelatedMessage != c || r.RegistrationID != 99 {
		t.Fatalf("remove %+v %v", r, err)
	}
	// Older clients send REMOVE_PUBLICATION without flags.
	rp, err := DecodeRemovePublication(buf[:n])
	if err != nil || rp.RegistrationID != 99 || rp.Flags != 0 {
		t.Fatalf("remove publication (24) %+v %v", rp, err)
	}
	n = enc(EncodeRemovePublication(buf, 11, 12, 99, RemovePublicationFlagRevoke))
	if rp, err = DecodeRemovePublication(buf[:n]); err != nil || rp.Flags != RemovePublicationFlagRevoke {
		t.Fatalf("remove publication %+v %v", rp, err)
	}
	n = enc(EncodeDestination(buf, 11, 12, 5, "aeron:udp?endpoint=a:1"))
	d, err := DecodeDestination(buf[:n])
	if err != nil || d.CorrelatedMessage != c || d.RegistrationID != 5 || string(d.Channel) != "aeron:udp?endpoint=a:1" {
		t.Fatalf("destination %+v %v", d, err)
	}
	n = enc(EncodeDestinationByID(buf, 11, 12, 5, 6))
	di, err := DecodeDestinationByID(buf[:n])
	if err != nil || di.ResourceRegistrationID != 5 || di.DestinationRegistrationID != 6 {
		t.Fatalf("destination by id %+v %v", di, err)
	}
	for k := 0; k < 6; k++ {
		key := bytes.Repeat([]byte{0xAB}, k)
		n = enc(EncodeAddCounter(buf, 11, 12, 1001, key, "label"))
		cm, err := DecodeCounter(buf[:n])
		if err != nil || cm.TypeID != 1001 || !bytes.Equal(cm.Key, key) || string(cm.Label) != "label" {
			t.Fatalf("counter key %d: %+v %v", k, cm, err)
		}
		n = enc(EncodeAddStaticCounter(buf, 11, 12, 77, 1002, key, "static"))
		sc, err := DecodeStaticCounter(buf[:n])
		if err != nil || sc.RegistrationID != 77 || sc.TypeID != 1002 || !bytes.Equal(sc.Key, key) || string(sc.Label) != "static" {
			t.Fatalf("static counter key %d: %+v %v", k, sc, err)
		}
		n = enc(EncodeAvailableImage(buf, 1, 2, 3, 4, 5, string(key)+"f", "127.0.0.1:40123"))
		im, err := DecodeAvailableImage(buf[:n])
		if err != nil || string(im.LogFileName) != string(key)+"f" || string(im.SourceIdentity) != "127.0.0.1:40123" ||
			im.CorrelationID != 1 || im.SessionID != 2 || im.StreamID != 3 || im.SubscriptionRegistrationID != 4 || im.SubscriberPositionID != 5 {
			t.Fatalf("image %d: %+v %v", k, im, err)
		}
	}
	n = enc(EncodeTerminateDriver(buf, 11, 12, []byte("tok")))
	td, err := DecodeTerminateDriver(buf[:n])
	if err != nil || td.CorrelatedMessage != c || string(td.Token) != "tok" {
		t.Fatalf("terminate %+v %v", td, err)
	}
	n = enc(EncodeRejectImage(buf, 11, 12, 3, 4096, "bad data"))
	ri, err := DecodeRejectImage(buf[:n])
	if err != nil || ri.ImageCorrelationID != 3 || ri.Position != 4096 || string(ri.Reason) != "bad data" {
		t.Fatalf("reject %+v %v", ri, err)
	}
	n = enc(EncodeGetNextAvailableSessionID(buf, 11, 12, 10))
	gs, err := DecodeGetNextAvailableSessionID(buf[:n])
	if err != nil || gs.CorrelatedMessage != c || gs.StreamID != 10 {
		t.Fatalf("next session %+v %v", gs, err)
	}
	n = enc(EncodeCorrelated(buf, 11, 12))
	if k, err := DecodeCorrelated(buf[:n]); err != nil || k != c {
		t.Fatalf("keepalive %+v %v", k, err)
	}

	n = enc(EncodeError(buf, 12, ErrUnknownPublication, "unknown publication"))
	e, err := DecodeError(buf[:n])
	if err != nil || e.OffendingCorrelationID != 12 || e.Code != ErrUnknownPublication || string(e.Message) != "unknown publication" {
		t.Fatalf("error %+v %v", e, err)
	}
	n = enc(EncodePublicationReady(buf, 1, 2, 3, 4, 5, 6, "/dev/shm/aeron/publications/2.logbuffer"))
	pr, err := DecodePublicationReady(buf[:n])
	if err != nil || pr.CorrelationID != 1 || pr.RegistrationID != 2 || pr.SessionID != 3 || pr.StreamID != 4 || pr.PositionLimitCounterID != 5 || pr.ChannelStatusIndicatorID != 6 || string(pr.LogFileName) != "/dev/shm/aeron/publications/2.logbuffer" {
		t.Fatalf("publication ready %+v %v", pr, err)
	}
	n = enc(EncodeSubscriptionReady(buf, 9, -1))
	if sr, err := DecodeSubscriptionReady(buf[:n]); err != nil || sr != (SubscriptionReady{9, -1}) {
		t.Fatalf("subscription ready %+v %v", sr, err)
	}
	n = enc(EncodeUnavailableImage(buf, 1, 2, 3, "aeron:ipc"))
	ui, err := DecodeUnavailableImage(buf[:n])
	if err != nil || ui.CorrelationID != 1 || ui.SubscriptionRegistrationID != 2 || ui.StreamID != 3 || string(ui.Channel) != "aeron:ipc" {
		t.Fatalf("unavailable image %+v %v", ui, err)
	}
	n = enc(EncodeOperationSucceeded(buf, 42))
	if id, err := DecodeOperationSucceeded(buf[:n]); err != nil || id != 42 || n != 8 {
		t.Fatalf("success %d %v", id, err)
	}
	n = enc(EncodeClientTimeout(buf, 43))
	if id, err := DecodeClientTimeout(buf[:n]); err != nil || id != 43 {
		t.Fatalf("client timeout %d %v", id, err)
	}
	n = enc(EncodeCounterUpdate(buf, 44, 45))
	if cu, err := DecodeCounterUpdate(buf[:n]); err != nil || cu != (CounterUpdate{44, 45}) || n != 12 {
		t.Fatalf("counter update %+v %v", cu, err)
	}
	n = enc(EncodeNextAvailableSessionID(buf, 46, -7))
	if ns, err := DecodeNextAvailableSessionID(buf[:n]); err != nil || ns != (NextAvailableSessionID{46, -7}) {
		t.Fatalf("next session id %+v %v", ns, err)
	}
}

func TestMalformed(t *testing.T) {
	buf := make([]byte, 256)
	n, _ := EncodeAddPublication(buf, 1, 2, 3, "aeron:ipc")
	for cut := 0; cut < n; cut++ {
		if _, err := DecodePublication(buf[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d: %v", cut, err)
		}
	}
	// A negative or oversized length field.
	for _, l := range []int32{-1, -0x80000000, 10, 0x7fffffff} {
		putInt32(buf, 20, l)
		if _, err := DecodePublication(buf[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("channel length %d: %v", l, err)
		}
	}
	n, _ = EncodeAddCounter(buf, 1, 2, 3, []byte{1, 2, 3, 4, 5}, "label")
	for cut := 0; cut < n; cut++ {
		if _, err := DecodeCounter(buf[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("counter truncated to %d: %v", cut, err)
		}
	}
	n, _ = EncodeAvailableImage(buf, 1, 2, 3, 4, 5, "abc", "src")
	for cut := 0; cut < n; cut++ {
		if _, err := DecodeAvailableImage(buf[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("image truncated to %d: %v", cut, err)
		}
	}
	if _, err := DecodeRejectImage(append(make([]byte, 32), le("00040000")...)); !errors.Is(err, ErrMalformed) {
		t.Fatal(err)
	}
	long := strings.Repeat("r", MaxRejectReasonLength+1)
	if _, err := EncodeRejectImage(buf, 1, 2, 3, 4, long); err == nil {
		t.Fatal("over-long reason encoded")
	}
	if _, err := EncodeAddPublication(make([]byte, 30), 1, 2, 3, "aeron:ipc"); !errors.Is(err, ErrBufferTooSmall) {
		t.Fatal(err)
	}
	if _, err := EncodeAvailableImage(make([]byte, 42), 1, 2, 3, 4, 5, "abc", "src"); !errors.Is(err, ErrBufferTooSmall) {
		t.Fatal(err)
	}
}

func TestNames(t *testing.T) {
	if ErrInvalidChannel.String() != "INVALID_CHANNEL" || ErrPublicationRevoked.String() != "PUBLICATION_REVOKED" {
		t.Fatal("error code names")
	}
	if CommandName(ClientKeepalive) != "CLIENT_KEEPALIVE" || CommandName(GetNextAvailableSessionID) != "GET_NEXT_AVAILABLE_SESSION_ID" {
		t.Fatal("command names")
	}
	if ProtocolVersion != 0x010000 {
		t.Fatal("protocol version")
	}
}

func TestHotPathAllocatesNothing(t *testing.T) {
	buf := make([]byte, 256)
	n, _ := EncodeAddPublication(buf, 1, 2, 3, "aeron:ipc")
	k := make([]byte, 16)
	allocs := testing.AllocsPerRun(1000, func() {
		m, err := EncodeCorrelated(k, 1, 2)
		if err != nil || m != 16 {
			t.Fatal(err)
		}
		if _, err := DecodeCorrelated(k); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodePublication(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if _, err := EncodePublicationReady(buf[100:], 1, 2, 3, 4, 5, 6, "/dev/shm/a/1.logbuffer"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations", allocs)
	}
}

func BenchmarkKeepalive(b *testing.B) {
	buf := make([]byte, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		EncodeCorrelated(buf, 1, int64(i))
		if _, err := DecodeCorrelated(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddPublicationRoundTrip(b *testing.B) {
	buf := make([]byte, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n, _ := EncodeAddPublication(buf, 1, int64(i), 10, "aeron:udp?endpoint=localhost:40123")
		if _, err := DecodePublication(buf[:n]); err != nil {
			b.Fatal(err)
		}
	}
}
