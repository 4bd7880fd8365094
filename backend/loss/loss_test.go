package loss

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/udp"
)

func TestParseArgs(t *testing.T) {
	p, err := ParseArgs("rate=0.2|seed=7|recv-msg-mask=0xF")
	if err != nil || p.Rate != 0.2 || p.Seed != 7 || p.TypeMask != 0xF {
		t.Fatalf("%+v %v", p, err)
	}
	for _, bad := range []string{"rate=2", "rate=x", "speed=1", "rate"} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if w, err := Configure("", "", ""); w != nil || err != nil {
		t.Fatal("no interceptor configured but a wrapper returned")
	}
	if _, err := Configure("fixed-loss", "", ""); err == nil {
		t.Fatal("unknown interceptor accepted")
	}
}

func frame(typ uint16, seq int) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint16(b[6:], typ)
	binary.LittleEndian.PutUint64(b[8:], uint64(seq))
	return b
}

// exchange sends n DATA and n SM frames through a wrapped pair and returns
// how many of each arrived.
func exchange(t *testing.T, in, out *Params, n int) (data, sm int, dropped uint64) {
	t.Helper()
	b := Wrap(udp.New(backend.Options{SocketRcvBuf: 4 << 20}), in, out)
	defer b.Close()
	rx, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]backend.Message, 0, 2*n)
	for i := 0; i < n; i++ {
		msgs = append(msgs, backend.Message{Buf: frame(1, i), Addr: rx.LocalAddr()}, backend.Message{Buf: frame(3, i), Addr: rx.LocalAddr()})
	}
	for sent := 0; sent < len(msgs); {
		k, err := tx.Send(msgs[sent:min(len(msgs), sent+64)])
		if err != nil {
			t.Fatal(err)
		}
		sent += k
		if sent%1024 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	in2 := make([]backend.Message, 64)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		k, err := rx.Receive(in2)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range in2[:k] {
			if binary.LittleEndian.Uint16(m.Buf[6:]) == 1 {
				data++
			} else {
				sm++
			}
		}
		if data+sm+int(b.Dropped()) == 2*n {
			break
		}
		if k == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	return data, sm, b.Dropped()
}

func TestIncomingLossOnlyOnMaskedTypes(t *testing.T) {
	p := &Params{Rate: 0.1, Seed: 42, TypeMask: 1 << 1}
	data, sm, dropped := exchange(t, p, nil, 2000)
	if sm != 2000 {
		t.Fatalf("status messages lost (%d of 2000) though only DATA is masked", sm)
	}
	if data+int(dropped) != 2000 || dropped < 100 || dropped > 320 {
		t.Fatalf("data %d dropped %d: expected about 10%% of 2000", data, dropped)
	}
}

func TestOutgoingLoss(t *testing.T) {
	p := &Params{Rate: 0.5, Seed: 1, TypeMask: ^uint64(0)}
	data, sm, dropped := exchange(t, nil, p, 1000)
	if data+sm+int(dropped) != 2000 || dropped < 800 || dropped > 1200 {
		t.Fatalf("data %d sm %d dropped %d", data, sm, dropped)
	}
}

func TestSeededRunsRepeat(t *testing.T) {
	p := &Params{Rate: 0.3, Seed: 99, TypeMask: ^uint64(0)}
	_, _, a := exchange(t, nil, p, 500)
	_, _, b := exchange(t, nil, p, 500)
	if a != b {
		t.Fatalf("same seed dropped %d then %d", a, b)
	}
}

func TestNoAllocations(t *testing.T) {
	p := &Params{Rate: 0.5, Seed: 1, TypeMask: ^uint64(0)}
	b := Wrap(udp.New(backend.Options{}), p, p)
	defer b.Close()
	rx, _ := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	tx, _ := b.Open(backend.Spec{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	out := []backend.Message{{Buf: frame(1, 0), Addr: rx.LocalAddr()}, {Buf: frame(1, 1), Addr: rx.LocalAddr()}}
	in := make([]backend.Message, 8)
	if a := testing.AllocsPerRun(500, func() {
		_, _ = tx.Send(out)
		_, _ = rx.Receive(in)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
