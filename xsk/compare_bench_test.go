package xsk

import (
	"net"
	"net/netip"
	"os"
	"testing"

	asavie "github.com/asavie/xdp"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// BenchmarkTransmitAsavie is BenchmarkTransmit through github.com/asavie/xdp
// v0.3.3's socket on the same kind of veth, for comparison with our ring
// code: batches of 32 prebuilt frames, completions reaped every round.
func BenchmarkTransmitAsavie(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("AF_XDP sockets need root")
	}
	netns.Require(b)
	n := netns.New(b, netns.Options{})
	a, h := n.Hosts[0], n.Hosts[1]
	var s *asavie.Socket
	var aMAC, hMAC frame.MAC
	if err := h.Run(func() error {
		ifc, err := net.InterfaceByName(h.IfName())
		if err == nil {
			copy(hMAC[:], ifc.HardwareAddr)
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if err := a.Run(func() error {
		ifc, err := net.InterfaceByName(a.IfName())
		if err != nil {
			return err
		}
		copy(aMAC[:], ifc.HardwareAddr)
		opts := asavie.DefaultSocketOptions
		opts.NumFrames, opts.FrameSize = 4096, 2048
		opts.FillRingNumDescs, opts.CompletionRingNumDescs = 2048, 2048
		opts.RxRingNumDescs, opts.TxRingNumDescs = 2048, 2048
		s, err = asavie.NewSocket(ifc.Index, 0, &opts)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := frame.Endpoints{SrcMAC: aMAC, DstMAC: hMAC, Src: netip.AddrPortFrom(a.Addr(), 20000), Dst: netip.AddrPortFrom(h.Addr(), 9)}
	payload := make([]byte, 32)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		if c := s.NumCompleted(); c > 0 {
			s.Complete(c)
		}
		descs := s.GetDescs(min(32, s.NumFreeTxSlots()))
		for i := range descs {
			m, _ := frame.Build(s.GetFrame(descs[i]), &e, 1, payload)
			descs[i].Len = uint32(m)
		}
		sent += s.Transmit(descs)
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "datagrams/s")
}
