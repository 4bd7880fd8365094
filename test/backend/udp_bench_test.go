package backend_test

import (
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/udp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// BenchmarkUDPAcrossVeth sends 32-byte datagrams in batches from one
// namespace and receives them in the other, one batch in flight at a time,
// so the figure is the rate of the whole path through a veth.
func BenchmarkUDPAcrossVeth(b *testing.B) {
	n := netns.New(b, netns.Options{})
	a, h := n.Hosts[0], n.Hosts[1]
	be := udp.New(backend.Options{})
	defer be.Close()
	open := func(host *netns.Host, spec backend.Spec) backend.Transport {
		var tr backend.Transport
		if err := host.Run(func() (err error) {
			tr, err = be.Open(spec)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		return tr
	}
	tx := open(a, backend.Spec{Local: netip.AddrPortFrom(a.Addr(), 0)})
	rx := open(h, backend.Spec{Local: netip.AddrPortFrom(h.Addr(), 40300), SocketRcvBuf: 4 << 20})
	out := make([]backend.Message, be.BatchSize())
	for i := range out {
		out[i] = backend.Message{Buf: make([]byte, 32), Addr: rx.LocalAddr()}
	}
	in := make([]backend.Message, be.BatchSize())
	b.ReportAllocs()
	received := 0
	for b.Loop() {
		sent, err := tx.Send(out)
		if err != nil {
			b.Fatal(err)
		}
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
}
