package xdp

import (
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/udp"
	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// BenchmarkAcrossVeth compares the xdp and udp backends on the same veth in
// the same run: 32-byte datagrams in batches of 32, one batch in flight, the
// backend under test in namespace A and a udp backend peer in B. "send" has
// the backend under test sending, "receive" has it receiving.
func BenchmarkAcrossVeth(b *testing.B) {
	netns.Require(b)
	for _, name := range []string{"udp", "xdp"} {
		for _, dir := range []string{"send", "receive"} {
			b.Run(name+"/"+dir, func(b *testing.B) { benchAcross(b, name, dir == "send") })
		}
	}
}

func benchAcross(b *testing.B, name string, send bool) {
	n := netns.New(b, netns.Options{})
	a, h := n.Hosts[0], n.Hosts[1]
	peerBE := udp.New(backend.Options{})
	defer peerBE.Close()
	var under backend.Backend
	if err := a.Run(func() error {
		if name == "xdp" {
			be, err := xdpb.New(backend.Options{Interface: a.IfName()})
			under = be
			return err
		}
		under = udp.New(backend.Options{})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	defer under.Close()
	open := func(host *netns.Host, be backend.Backend, spec backend.Spec) backend.Transport {
		var tr backend.Transport
		if err := host.Run(func() (err error) {
			tr, err = be.Open(spec)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		return tr
	}
	mine := open(a, under, backend.Spec{Local: netip.AddrPortFrom(a.Addr(), 40400), SocketRcvBuf: 4 << 20})
	peer := open(h, peerBE, backend.Spec{Local: netip.AddrPortFrom(h.Addr(), 40401), SocketRcvBuf: 4 << 20})
	tx, rx := peer, mine
	if send {
		tx, rx = mine, peer
	}
	const batch = 32
	out := make([]backend.Message, batch)
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 32), Addr: rx.LocalAddr()}
	}
	in := make([]backend.Message, batch)
	b.ReportAllocs()
	received, sentTotal := 0, 0
	for b.Loop() {
		sent, err := tx.Send(out)
		if err != nil {
			nb, _ := a.Exec("ip", "neigh")
			b.Fatalf("%v (neighbours of A: %s)", err, nb)
		}
		sentTotal += sent
		// Bounded: a lost datagram ends the wait rather than the run.
		got := 0
		for spins := 0; got < sent && spins < 1<<20; spins++ {
			k, err := rx.Receive(in)
			if err != nil {
				b.Fatal(err)
			}
			got += k
		}
		received += got
	}
	b.ReportMetric(float64(received)/b.Elapsed().Seconds(), "datagrams/s")
	if sentTotal > 0 {
		b.ReportMetric(float64(sentTotal-received)/float64(sentTotal)*100, "%lost")
	}
}
