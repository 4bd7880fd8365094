package chaos

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"
)

// echoTarget answers every datagram with its first 8 bytes.
func echoTarget(t *testing.T) (*net.UDPConn, netip.AddrPort, chan uint64) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(socketBuffer)
	t.Cleanup(func() { c.Close() })
	seen := make(chan uint64, 100000)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, src, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 8 {
				seen <- binary.LittleEndian.Uint64(buf)
				_, _ = c.WriteToUDPAddrPort(buf[:8], src)
			}
		}
	}()
	return c, c.LocalAddr().(*net.UDPAddr).AddrPort(), seen
}

func drain(ch chan uint64, quiet time.Duration) []uint64 {
	var out []uint64
	for {
		select {
		case v := <-ch:
			out = append(out, v)
		case <-time.After(quiet):
			return out
		}
	}
}

func runRelay(t *testing.T, fwd Impairment, seed int64, n int) (forwardSeen, repliesSeen []uint64, r *Relay) {
	t.Helper()
	_, target, seen := echoTarget(t)
	r, err := New(Config{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Target: target, Forward: fwd, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	src, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_ = src.SetReadBuffer(socketBuffer)
	replies := make(chan uint64, 100000)
	go func() {
		buf := make([]byte, 64)
		for {
			m, _, err := src.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if m >= 8 {
				replies <- binary.LittleEndian.Uint64(buf)
			}
		}
	}()
	msg := make([]byte, 32)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(msg, uint64(i))
		if _, err := src.WriteToUDPAddrPort(msg, r.Addr()); err != nil {
			t.Fatal(err)
		}
		if i%16 == 15 {
			// Stay within socket buffers: the relay's decisions are
			// only reproducible if it reads every datagram sent.
			for deadline := time.Now().Add(5 * time.Second); r.ForwardStats().Received < uint64(i+1) && time.Now().Before(deadline); {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	return drain(seen, 500*time.Millisecond), drain(replies, 500*time.Millisecond), r
}

func TestRelayClean(t *testing.T) {
	const n = 500
	got, replies, r := runRelay(t, Impairment{}, 1, n)
	if len(got) != n || len(replies) != n {
		t.Fatalf("forwarded %d, replies %d, want %d", len(got), len(replies), n)
	}
	for i, v := range got {
		if v != uint64(i) {
			t.Fatalf("datagram %d is %d: reordered without impairment", i, v)
		}
	}
	if s := r.ForwardStats(); s.Forwarded != n || s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRelayImpairs(t *testing.T) {
	const n = 2000
	imp := Impairment{Drop: 0.05, Duplicate: 0.05, Reorder: 0.05}
	got, _, r := runRelay(t, imp, 42, n)
	s := r.ForwardStats()
	if s.Dropped == 0 || s.Duplicated == 0 || s.Reordered == 0 {
		t.Fatalf("expected every impairment to happen: %+v", s)
	}
	counts := map[uint64]int{}
	outOfOrder := 0
	for i, v := range got {
		counts[v]++
		if i > 0 && v < got[i-1] {
			outOfOrder++
		}
	}
	dups := 0
	for _, c := range counts {
		if c > 1 {
			dups++
		}
	}
	if missing := n - len(counts); missing == 0 || dups == 0 || outOfOrder == 0 {
		t.Fatalf("missing %d, duplicated %d, out of order %d: impairment not visible", missing, dups, outOfOrder)
	}
	// Same seed, same decisions.
	_, _, r2 := runRelay(t, imp, 42, n)
	if s2 := r2.ForwardStats(); s2.Dropped != s.Dropped || s2.Duplicated != s.Duplicated || s2.Reordered != s.Reordered {
		t.Fatalf("seeded runs differ: %+v vs %+v", s, s2)
	}
}

func TestRelayDelay(t *testing.T) {
	_, target, seen := echoTarget(t)
	r, err := New(Config{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Target: target, Forward: Impairment{Delay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(r.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write(make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
		if e := time.Since(start); e < 50*time.Millisecond {
			t.Fatalf("delivered after %v, before the 50ms delay", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("delayed datagram never arrived")
	}
}
