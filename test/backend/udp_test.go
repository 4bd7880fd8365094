package backend_test

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/udp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// openIn opens a transport on b inside host h.
func openIn(t *testing.T, h *netns.Host, b backend.Backend, spec backend.Spec) backend.Transport {
	t.Helper()
	var tr backend.Transport
	if err := h.Run(func() (err error) {
		tr, err = b.Open(spec)
		return err
	}); err != nil {
		t.Fatalf("open %s in %s: %v", spec.Local, h.Name, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// exchange sends count numbered datagrams from tx to dst in batches and
// checks rx receives them all, from the right source, within a bound.
func exchange(t *testing.T, tx, rx backend.Transport, dst netip.AddrPort, wantSrc netip.Addr, count int) {
	t.Helper()
	const batch = 32
	out := make([]backend.Message, batch)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 64), Addr: dst}
	}
	in := make([]backend.Message, batch)
	seen := make([]bool, count)
	got, next := 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for got < count && time.Now().Before(deadline) {
		// At most two batches in flight: the first datagrams wait in the
		// kernel's small queue for the peer's ARP answer, which drops the
		// oldest when it overflows.
		if next < count && next-got < 2*batch {
			k := min(batch, count-next)
			for i := 0; i < k; i++ {
				binary.LittleEndian.PutUint64(out[i].Buf, uint64(next+i))
			}
			n, err := tx.Send(out[:k])
			if err != nil {
				t.Fatal(err)
			}
			next += n
		}
		n, err := rx.Receive(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range in[:n] {
			if len(m.Buf) != 64 || m.Addr.Addr() != wantSrc {
				t.Fatalf("datagram of %d bytes from %s", len(m.Buf), m.Addr)
			}
			seq := binary.LittleEndian.Uint64(m.Buf)
			if seq >= uint64(count) || seen[seq] {
				t.Fatalf("unexpected or duplicate datagram %d", seq)
			}
			seen[seq] = true
			got++
		}
		if n == 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	if got != count {
		t.Fatalf("received %d of %d datagrams across the veth", got, count)
	}
}

func TestUDPUnicastAcrossVeth(t *testing.T) {
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	be := udp.New(backend.Options{SocketRcvBuf: 2 << 20})
	defer be.Close()
	ta := openIn(t, a, be, backend.Spec{Local: netip.AddrPortFrom(a.Addr(), 40100)})
	tb := openIn(t, b, be, backend.Spec{Local: netip.AddrPortFrom(b.Addr(), 40101)})
	exchange(t, ta, tb, tb.LocalAddr(), a.Addr(), 5000)
	exchange(t, tb, ta, ta.LocalAddr(), b.Addr(), 5000)
	if s := be.Stats(); s.DatagramsIn != 10000 || s.DatagramsOut != 10000 {
		t.Fatalf("stats %+v", s)
	}
}

func TestUDPMulticastAcrossVeth(t *testing.T) {
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	for _, h := range n.Hosts {
		// A route for the group so the sender picks the veth.
		if _, err := h.Exec("ip", "route", "add", "239.0.0.0/8", "dev", h.IfName()); err != nil {
			t.Fatal(err)
		}
	}
	group := netip.MustParseAddrPort("239.255.90.1:40200")
	be := udp.New(backend.Options{})
	defer be.Close()
	rx := openIn(t, b, be, backend.Spec{Local: group, Interface: b.Addr()})
	// A second member on the same host and port, as two Aeron
	// subscriptions' drivers share a group.
	rx2 := openIn(t, b, be, backend.Spec{Local: group, Interface: b.Addr()})
	tx := openIn(t, a, be, backend.Spec{Local: group, Interface: a.Addr(), MulticastTTL: 1})
	exchange(t, tx, rx, group, a.Addr(), 2000)
	// The second member was not drained and overflowed its socket buffer;
	// empty it, then check it hears a burst that fits.
	in := make([]backend.Message, 64)
	for range 1000 {
		if n, err := rx2.Receive(in); err != nil || n == 0 {
			break
		}
	}
	const burst = 100
	exchange(t, tx, rx, group, a.Addr(), burst)
	got := 0
	for deadline := time.Now().Add(5 * time.Second); got < burst && time.Now().Before(deadline); {
		n, err := rx2.Receive(in)
		if err != nil {
			t.Fatal(err)
		}
		got += n
		if n == 0 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	if got != burst {
		t.Fatalf("second member received %d of %d datagrams", got, burst)
	}
}
