package xsk

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"

	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/bpf"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func TestConfigCheck(t *testing.T) {
	c := DefaultConfig()
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	c.RxRingSize = 1000
	if err := c.check(); err == nil {
		t.Fatal("ring size 1000 accepted")
	}
}

// udpInDatagrams reads Udp InDatagrams from /proc/net/snmp of the calling
// thread's network namespace.
func udpInDatagrams() (uint64, error) {
	f, err := os.Open("/proc/thread-self/net/snmp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var header []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if header == nil {
			header = fields
			continue
		}
		for i, h := range header {
			if h == "InDatagrams" && i < len(fields) {
				return strconv.ParseUint(fields[i], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no Udp InDatagrams in /proc/net/snmp")
}

type pair struct {
	net        *netns.Network
	a, b       *netns.Host
	prog       *bpf.Program
	link       link.Link
	sock       *Socket
	ep         netip.AddrPort
	aMAC, bMAC frame.MAC
}

func setup(t *testing.T) *pair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("AF_XDP sockets and XDP programs need root")
	}
	netns.Require(t)
	p := &pair{net: netns.New(t, netns.Options{})}
	p.a, p.b = p.net.Hosts[0], p.net.Hosts[1]
	p.ep = netip.AddrPortFrom(p.a.Addr(), 20121)
	var err error
	p.prog, err = bpf.Load()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.prog.Close() })
	if err := p.b.Run(func() error {
		ifc, err := net.InterfaceByName(p.b.IfName())
		if err == nil {
			copy(p.bMAC[:], ifc.HardwareAddr)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := p.a.Run(func() error {
		ifc, err := net.InterfaceByName(p.a.IfName())
		if err != nil {
			return err
		}
		copy(p.aMAC[:], ifc.HardwareAddr)
		var reason string
		var mode bpf.Mode
		p.link, mode, reason, err = p.prog.Attach(ifc.Index, bpf.ModeAuto)
		if err != nil {
			return err
		}
		t.Logf("xdp %s %s", mode, reason)
		p.sock, err = Open(ifc.Index, 0, DefaultConfig())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sock.Close(); p.link.Close() })
	t.Logf("zero-copy %v", p.sock.ZeroCopy)
	if err := p.prog.SetSocket(0, p.sock.FD()); err != nil {
		t.Fatal(err)
	}
	if err := p.prog.AddEndpoint(p.ep); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReceiveAndTransmit sends datagrams from a kernel socket in namespace
// B to our socket in A and back, and checks from the XDP counters and A's
// UDP statistics that the kernel's UDP stack never saw ours.
func TestReceiveAndTransmit(t *testing.T) {
	p := setup(t)
	var udpBefore uint64
	if err := p.a.Run(func() error { var err error; udpBefore, err = udpInDatagrams(); return err }); err != nil {
		t.Fatal(err)
	}
	var peer *net.UDPConn
	if err := p.b.Run(func() error {
		var err error
		peer, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IP(p.b.Addr().AsSlice()), Port: 30000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	const count = 200
	dst := net.UDPAddrFromAddrPort(p.ep)
	for i := 0; i < count; i++ {
		if _, err := peer.WriteToUDP([]byte(fmt.Sprintf("datagram %d", i)), dst); err != nil {
			t.Fatal(err)
		}
	}
	descs := make([]Desc, 64)
	got := 0
	var d frame.Datagram
	deadline := time.Now().Add(10 * time.Second)
	for got < count && time.Now().Before(deadline) {
		n := p.sock.Receive(descs)
		for _, desc := range descs[:n] {
			if err := frame.ParseOffloaded(p.sock.Frame(desc.Addr, int(desc.Len)), &d); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if want := fmt.Sprintf("datagram %d", got); string(d.Payload) != want || d.Dst != p.ep {
				t.Fatalf("got %q to %s, want %q", d.Payload, d.Dst, want)
			}
			got++
		}
		p.sock.Recycle(descs[:n])
		if n == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	if got != count {
		t.Fatalf("received %d of %d", got, count)
	}
	st, err := p.prog.Stats()
	if err != nil || st.Redirected < count {
		t.Fatalf("xdp stats %+v %v", st, err)
	}
	var udpAfter uint64
	if err := p.a.Run(func() error { var err error; udpAfter, err = udpInDatagrams(); return err }); err != nil {
		t.Fatal(err)
	}
	if udpAfter-udpBefore >= count {
		t.Fatalf("kernel UDP saw %d datagrams", udpAfter-udpBefore)
	}

	// And back: frames built into UMEM, sent to B's kernel socket.
	e := frame.Endpoints{SrcMAC: p.aMAC, DstMAC: p.bMAC, Src: p.ep, Dst: netip.AddrPortFrom(p.b.Addr(), 30000)}
	tx := make([]Desc, 0, 32)
	sent := 0
	for sent < count && time.Now().Before(deadline) {
		tx = tx[:0]
		for len(tx) < cap(tx) && sent+len(tx) < count {
			addr, ok := p.sock.AllocFrame()
			if !ok {
				break
			}
			n, err := frame.Build(p.sock.Frame(addr, p.sock.FrameSize()), &e, uint16(sent+len(tx)), []byte(fmt.Sprintf("reply %d", sent+len(tx))))
			if err != nil {
				t.Fatal(err)
			}
			tx = append(tx, Desc{Addr: addr, Len: uint32(n)})
		}
		q := p.sock.Transmit(tx)
		for _, rest := range tx[q:] {
			p.sock.FreeFrame(rest.Addr)
		}
		sent += q
	}
	buf := make([]byte, 2048)
	for i := 0; i < count; i++ {
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := peer.Read(buf)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if !bytes.Equal(buf[:n], []byte(fmt.Sprintf("reply %d", i))) {
			t.Fatalf("reply %d: %q", i, buf[:n])
		}
	}
	for i := 0; i < 100 && p.sock.Outstanding() > 0; i++ {
		p.sock.Complete()
		time.Sleep(time.Millisecond)
	}
	if p.sock.Outstanding() != 0 {
		t.Fatalf("%d frames never completed", p.sock.Outstanding())
	}
	// The ring paths allocate nothing.
	one := []Desc{{}}
	allocs := testing.AllocsPerRun(100, func() {
		n := p.sock.Receive(descs)
		p.sock.Recycle(descs[:n])
		if addr, ok := p.sock.AllocFrame(); ok {
			one[0] = Desc{Addr: addr, Len: uint32(frame.HeadersLength)}
			if p.sock.Transmit(one[:0]) == 0 {
				p.sock.FreeFrame(addr)
			}
		}
		p.sock.Complete()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per ring round", allocs)
	}
	kst, err := p.sock.Stats()
	t.Logf("socket stats %+v %v", kst, err)
}

// BenchmarkTransmit measures our TX ring path on a veth in copy mode:
// batches of 32 prebuilt 32-byte-payload frames submitted and reaped.
func BenchmarkTransmit(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("AF_XDP sockets need root")
	}
	netns.Require(b)
	n := netns.New(b, netns.Options{})
	a, h := n.Hosts[0], n.Hosts[1]
	var s *Socket
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
		s, err = Open(ifc.Index, 0, DefaultConfig())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := frame.Endpoints{SrcMAC: aMAC, DstMAC: hMAC, Src: netip.AddrPortFrom(a.Addr(), 20000), Dst: netip.AddrPortFrom(h.Addr(), 9)}
	descs := make([]Desc, 32)
	payload := make([]byte, 32)
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		k := 0
		for ; k < len(descs); k++ {
			addr, ok := s.AllocFrame()
			if !ok {
				break
			}
			m, _ := frame.Build(s.Frame(addr, s.FrameSize()), &e, 1, payload)
			descs[k] = Desc{Addr: addr, Len: uint32(m)}
		}
		q := s.Transmit(descs[:k])
		for _, d := range descs[q:k] {
			s.FreeFrame(d.Addr)
		}
		sent += q
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "datagrams/s")
}
