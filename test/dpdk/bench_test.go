//go:build dpdk

package dpdk

import (
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	dpdkb "github.com/aeron-bypass/aeron-bypass/backend/dpdk"
	"github.com/aeron-bypass/aeron-bypass/backend/udp"
	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// BenchmarkAcrossVeth compares the dpdk (af_packet vdev), xdp and udp
// backends on one veth in one run: 32-byte datagrams in batches of 32, one
// batch in flight, the backend under test in namespace A and a udp backend
// peer in B. "send" has the backend under test sending, "receive" has it
// receiving. The kernel owns 198.18.0.1 on A's veth for udp and xdp; DPDK
// takes 198.18.0.3 on the same veth and answers ARP for it itself.
//
// A vdev figure is the backend's overhead on top of AF_PACKET, not a NIC's
// speed. EAL initialises once per process: run with -count=1.
func BenchmarkAcrossVeth(b *testing.B) {
	require(b)
	if dpdk.EALArgs() != nil {
		b.Skip("EAL is already initialised in this process (run with -count=1)")
	}
	n := netns.New(b, netns.Options{})
	a, h := n.Hosts[0], n.Hosts[1]
	prefix := fmt.Sprintf("abt-bench-%d", os.Getpid())
	defer os.RemoveAll("/var/run/dpdk/" + prefix)
	for _, name := range []string{"udp", "xdp", "dpdk"} {
		for _, dir := range []string{"send", "receive"} {
			b.Run(name+"/"+dir, func(b *testing.B) { benchAcross(b, a, h, name, dir == "send", prefix) })
		}
	}
}

func benchAcross(b *testing.B, a, h *netns.Host, name string, send bool, prefix string) {
	peerBE := udp.New(backend.Options{})
	defer peerBE.Close()
	local := netip.AddrPortFrom(a.Addr(), 40400)
	var under backend.Backend
	if err := a.Run(func() error {
		var err error
		switch name {
		case "xdp":
			under, err = xdpb.New(backend.Options{Interface: a.IfName()})
		case "dpdk":
			// EAL starts on this thread, inside A, so the af_packet
			// vdev opens its socket there.
			local = netip.MustParseAddrPort("198.18.0.3:40400")
			under, err = dpdkb.New(backend.Options{}, dpdkb.Config{
				EAL: dpdk.EALConfig{NoHuge: true, NoPCI: true, MemoryMB: 256, FilePrefix: prefix,
					VDevs: []string{"net_af_packet0,iface=" + a.IfName()}},
				Address: netip.MustParsePrefix("198.18.0.3/24"),
			})
		default:
			under = udp.New(backend.Options{})
		}
		return err
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
	mine := open(a, under, backend.Spec{Local: local, SocketRcvBuf: 4 << 20})
	defer mine.Close()
	peer := open(h, peerBE, backend.Spec{Local: netip.AddrPortFrom(h.Addr(), 40401), SocketRcvBuf: 4 << 20})
	defer peer.Close()
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
			b.Fatal(err)
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
