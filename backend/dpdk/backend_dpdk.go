//go:build dpdk

package dpdk

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/frame"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

const (
	defaultBatch = 32
	// otherRingSlots is how many datagrams a transport holds for itself
	// when another transport's Receive (or the control poll) found them.
	otherRingSlots = 256
	// arpInterval spaces ARP requests for one unresolved hop.
	arpInterval = 250 * time.Millisecond
	// ageInterval is how often neighbours are aged and probed.
	ageInterval = 100 * time.Millisecond
	// idlePoll is how long the receive queues may go unpolled before the
	// backend polls them itself, so that ARP and ping are answered while
	// no transport is receiving.
	idlePoll = 5 * time.Millisecond
	// igmpRepeat spaces the second unsolicited report of a join (RFC
	// 3376 section 5.1 sends it more than once against loss).
	igmpRepeat = time.Second
	// ephemeralFirst and ephemeralLast bound the ports given to endpoints
	// opened with port 0 (Linux's default ip_local_port_range).
	ephemeralFirst = 32768
	ephemeralLast  = 60999
	// maxUDPPayload is the largest datagram Aeron sends (its
	// MAX_UDP_PAYLOAD_LENGTH), which receive endpoints give as their
	// MaxDatagram.
	maxUDPPayload = 65504
)

// Backend is the DPDK backend on one port.
type Backend struct {
	opts  backend.Options
	cfg   Config
	port  *dpdk.Port
	mac   frame.MAC
	addr  netip.Prefix
	neigh *neighbours
	// sendMTU is the largest payload a frame can carry.
	maxPayload int
	txFlags    uint64

	// rxMu serialises the receive queues, the transports' side rings
	// and the control plane's answers. It is taken before txMu, never
	// after.
	rxMu      sync.Mutex
	rxq       []*dpdk.RxQueue
	rxNext    int
	rxFree    *dpdk.Mbufs
	parsed    frame.Datagram
	ctrl      frame.IPv4Packet
	arp       frame.ARP
	igmp      frame.IGMPMessage
	lastPoll  atomic.Int64
	ctrlFrame []byte

	// txMu serialises TX queue 0, which every transport and the control
	// plane send through.
	txMu  sync.Mutex
	txq   *dpdk.TxQueue
	ctrlq *dpdk.TxQueue

	mu         sync.Mutex
	transports map[netip.AddrPort]*transport
	groups     map[netip.Addr]*group
	nextPort   uint16
	closed     bool

	ipID  atomic.Uint32
	stats struct{ in, bytesIn, out, bytesOut, drops, errors, arpIn, arpOut, echo, igmpOut atomic.Uint64 }
	done  chan struct{}
	wg    sync.WaitGroup
}

type group struct {
	refs int
	// reports left to send unsolicited, and when the next is due.
	reports int
	due     time.Time
}

// New starts EAL (once per process) on the calling thread, so a caller
// that wants af_packet or af_xdp vdevs in a network namespace locks its
// thread into it first, then opens the port and takes over its address.
func New(opts backend.Options, cfg Config) (_ *Backend, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("dpdk backend: %w", err)
	}
	cfg = cfg.withDefaults()
	b := &Backend{opts: opts, cfg: cfg, transports: map[netip.AddrPort]*transport{}, groups: map[netip.Addr]*group{},
		nextPort: ephemeralFirst, done: make(chan struct{})}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	var captured Network
	if opts.Interface != "" && (!cfg.Address.IsValid() || !cfg.Gateway.IsValid()) {
		if captured, err = Capture(opts.Interface); err != nil && !cfg.Address.IsValid() {
			return nil, fmt.Errorf("dpdk backend: no address configured and none captured: %w", err)
		}
	}
	b.addr = cfg.Address
	if !b.addr.IsValid() {
		b.addr = captured.Address
	}
	if !b.addr.IsValid() {
		return nil, fmt.Errorf("dpdk backend: no address (set aeron.bypass.dpdk.address; interface %q has none)", opts.Interface)
	}
	gateway := cfg.Gateway
	if !gateway.IsValid() && b.addr.Contains(captured.Gateway) {
		gateway = captured.Gateway
	}
	b.neigh = newNeighbours(b.addr, gateway, cfg.NeighbourReachable)
	b.neigh.seed(captured.Neighbours, time.Now())

	eal := cfg.EAL
	if len(eal.Allow) == 0 && len(eal.VDevs) == 0 && !eal.NoPCI {
		host, err := Scan(cfg.SysfsRoot)
		if err != nil {
			return nil, fmt.Errorf("dpdk backend: %w", err)
		}
		a := host.Assess(eal.NoHuge)
		for _, d := range a.Ready {
			eal.Allow = append(eal.Allow, d.Address)
		}
		for _, w := range a.Warnings {
			slog.Warn("dpdk backend: " + w)
		}
		if len(eal.Allow) == 0 {
			return nil, errors.New("dpdk backend: no device configured and no ENA or GVE device bound to vfio-pci and ready")
		}
	}
	if err := dpdk.InitEAL(eal); err != nil {
		return nil, fmt.Errorf("dpdk backend: %w", err)
	}
	rxq := cfg.RxQueues
	if rxq == 0 {
		rxq = max(len(opts.Queues), 1)
	}
	mtu := 0
	if opts.MTU > 0 {
		// Aeron's mtu.length is the UDP payload; the port's MTU is the
		// IP packet.
		mtu = opts.MTU + frame.IPv4HeaderLength + frame.UDPHeaderLength
		mtu = max(mtu, 1500)
	}
	b.port, err = dpdk.OpenPort(dpdk.PortConfig{Device: cfg.Device, RxQueues: rxq, TxQueues: 1,
		RxDescriptors: cfg.RxDescriptors, TxDescriptors: cfg.TxDescriptors, MTU: mtu, Mbufs: cfg.Mbufs,
		NoChecksumOffload: cfg.NoChecksumOffload})
	if err != nil && mtu > 1500 {
		// A device that cannot take the larger MTU still carries
		// standard frames; the channel MTU check at Open says the rest.
		slog.Warn("dpdk backend: port refused the channel MTU, keeping the default", "mtu", mtu, "error", err)
		b.port, err = dpdk.OpenPort(dpdk.PortConfig{Device: cfg.Device, RxQueues: rxq, TxQueues: 1,
			RxDescriptors: cfg.RxDescriptors, TxDescriptors: cfg.TxDescriptors, Mbufs: cfg.Mbufs,
			NoChecksumOffload: cfg.NoChecksumOffload})
		mtu = 1500
	}
	if err != nil {
		return nil, fmt.Errorf("dpdk backend: %w", err)
	}
	if mtu == 0 {
		mtu = 1500
	}
	b.maxPayload = mtu - frame.IPv4HeaderLength - frame.UDPHeaderLength
	b.mac = frame.MAC(b.port.MAC)
	if b.port.TxChecksum {
		b.txFlags = dpdk.TxOffload
	}
	for q := 0; q < b.port.RxQueues; q++ {
		r, err := b.port.NewRxQueue(q, b.BatchSize())
		if err != nil {
			return nil, fmt.Errorf("dpdk backend: %w", err)
		}
		b.rxq = append(b.rxq, r)
	}
	b.rxFree = dpdk.NewMbufs(b.BatchSize())
	if b.txq, err = b.port.NewTxQueue(0, b.BatchSize()); err != nil {
		return nil, fmt.Errorf("dpdk backend: %w", err)
	}
	if b.ctrlq, err = b.port.NewTxQueue(0, 1); err != nil {
		return nil, fmt.Errorf("dpdk backend: %w", err)
	}
	b.ctrlFrame = make([]byte, 2048)
	b.igmp.Records = make([]frame.IGMPRecord, 0, 64)
	b.lastPoll.Store(time.Now().UnixNano())
	b.wg.Add(1)
	go b.housekeeping()
	link, _ := b.port.Link()
	slog.Info("dpdk backend started", "port", b.port.Name, "driver", b.port.Driver, "mac", b.mac.String(),
		"address", b.addr.String(), "gateway", gateway, "rx_queues", b.port.RxQueues, "rss", fmt.Sprintf("%#x", b.port.RSS),
		"rx_checksum_offload", b.port.RxChecksum, "tx_checksum_offload", b.port.TxChecksum,
		"mbufs", b.port.Mbufs, "link_up", link.Up, "speed_mbps", link.SpeedMbps, "eal", dpdk.EALArgs())
	return b, nil
}

// Name is "dpdk".
func (b *Backend) Name() string { return Name }

// BatchSize is the preferred number of messages per call.
func (b *Backend) BatchSize() int {
	if b.opts.BatchSize > 0 {
		return min(b.opts.BatchSize, 512)
	}
	return defaultBatch
}

// Port is the DPDK port the backend runs on.
func (b *Backend) Port() *dpdk.Port { return b.port }

// Address is the IPv4 address and prefix the backend owns.
func (b *Backend) Address() netip.Prefix { return b.addr }

// MAC is the port's Ethernet address.
func (b *Backend) MAC() frame.MAC { return b.mac }

// Neighbour returns the MAC the backend resolved for ip.
func (b *Backend) Neighbour(ip netip.Addr) (frame.MAC, bool) { return b.neigh.lookup(ip) }

// ControlStats are the control plane's counters.
type ControlStats struct {
	ARPIn, ARPOut, EchoReplies, IGMPReports uint64
}

// ControlStats returns the control plane's counters.
func (b *Backend) ControlStats() ControlStats {
	return ControlStats{ARPIn: b.stats.arpIn.Load(), ARPOut: b.stats.arpOut.Load(),
		EchoReplies: b.stats.echo.Load(), IGMPReports: b.stats.igmpOut.Load()}
}

// Stats sums the transports' counters with the device's drops (frames
// missed for want of descriptors or mbufs) and errors.
func (b *Backend) Stats() backend.Stats {
	s := backend.Stats{
		DatagramsIn: b.stats.in.Load(), BytesIn: b.stats.bytesIn.Load(),
		DatagramsOut: b.stats.out.Load(), BytesOut: b.stats.bytesOut.Load(),
		Drops: b.stats.drops.Load(), Errors: b.stats.errors.Load(),
	}
	if b.port != nil {
		if d, err := b.port.Stats(); err == nil {
			s.Drops += d.InMissed + d.InNoMbuf
			s.Errors += d.InErrors + d.OutErrors
		}
	}
	return s
}

// XStats returns the device's extended statistics.
func (b *Backend) XStats() ([]dpdk.XStat, error) { return b.port.XStats() }

// Open binds an endpoint: our address (or the unspecified address, which
// means ours) or a multicast group, which the backend joins.
func (b *Backend) Open(spec backend.Spec) (backend.Transport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, backend.ErrClosed
	}
	la := spec.Local.Addr().Unmap()
	if !la.Is4() {
		return nil, fmt.Errorf("dpdk open %s: only IPv4 endpoints are supported", spec.Local)
	}
	if spec.Interface.IsValid() && spec.Interface.Unmap() != b.addr.Addr() && !spec.Interface.IsUnspecified() {
		return nil, fmt.Errorf("dpdk open %s: interface %s is not the backend's address %s", spec.Local, spec.Interface, b.addr.Addr())
	}
	if la.IsUnspecified() {
		la = b.addr.Addr()
	}
	if !la.IsMulticast() && la != b.addr.Addr() {
		return nil, fmt.Errorf("dpdk open %s: not the backend's address %s", spec.Local, b.addr.Addr())
	}
	port := spec.Local.Port()
	if port == 0 {
		var ok bool
		if port, ok = b.ephemeral(la); !ok {
			return nil, fmt.Errorf("dpdk open %s: no free port", spec.Local)
		}
	}
	local := netip.AddrPortFrom(la, port)
	if _, dup := b.transports[local]; dup {
		return nil, fmt.Errorf("dpdk open %s: endpoint already open", local)
	}
	// A channel MTU the port cannot carry is refused here, where the
	// publication is made, rather than at every Send. The largest UDP
	// payload is what a receive endpoint asks for, meaning whatever
	// arrives (a receiver cannot know its senders' MTU): it is accepted,
	// and since nothing larger than the port's MTU arrives (the backend
	// does not reassemble IP fragments) the buffers stop there.
	if spec.MaxDatagram > b.maxPayload && spec.MaxDatagram < maxUDPPayload {
		return nil, fmt.Errorf("dpdk open %s: datagrams of %d bytes do not fit the port's MTU (at most %d)", local, spec.MaxDatagram, b.maxPayload)
	}
	t := &transport{b: b, local: local, src: netip.AddrPortFrom(b.addr.Addr(), port), ttl: uint8(spec.MulticastTTL)}
	if spec.Connect.IsValid() {
		t.connect = netip.AddrPortFrom(spec.Connect.Addr().Unmap(), spec.Connect.Port())
	}
	maxDatagram := spec.MaxDatagram
	if maxDatagram <= 0 || maxDatagram > b.maxPayload {
		maxDatagram = b.maxPayload
	}
	t.side = make([]sideSlot, otherRingSlots)
	for i := range t.side {
		t.side[i].buf = make([]byte, maxDatagram)
	}
	t.lent = dpdk.NewMbufs(max(b.BatchSize(), 256))
	t.macs = make([]frame.MAC, b.BatchSize())
	if la.IsMulticast() {
		if err := b.join(la); err != nil {
			t.lent.Release()
			return nil, fmt.Errorf("dpdk open %s: %w", local, err)
		}
	}
	b.transports[local] = t
	return t, nil
}

// ephemeral picks an unused port for addr. Called with b.mu held.
func (b *Backend) ephemeral(addr netip.Addr) (uint16, bool) {
	for i := 0; i <= ephemeralLast-ephemeralFirst; i++ {
		p := b.nextPort
		b.nextPort++
		if b.nextPort > ephemeralLast || b.nextPort < ephemeralFirst {
			b.nextPort = ephemeralFirst
		}
		if _, used := b.transports[netip.AddrPortFrom(addr, p)]; !used {
			return p, true
		}
	}
	return 0, false
}

// join takes a reference on a group; the first programs the device's
// multicast filter and schedules the unsolicited reports. Called with
// b.mu held.
func (b *Backend) join(g netip.Addr) error {
	if gr := b.groups[g]; gr != nil {
		gr.refs++
		return nil
	}
	b.groups[g] = &group{refs: 1, reports: 2}
	if err := b.programMulticast(); err != nil {
		delete(b.groups, g)
		return err
	}
	return nil
}

// leave drops a reference; the last one sends a leave. Called with b.mu
// held.
func (b *Backend) leave(g netip.Addr) {
	gr := b.groups[g]
	if gr == nil {
		return
	}
	if gr.refs--; gr.refs > 0 {
		return
	}
	delete(b.groups, g)
	if err := b.programMulticast(); err != nil {
		slog.Warn("dpdk backend: multicast filter", "error", err)
	}
	b.sendIGMP(g, true, b.cfg.IGMPVersion)
}

// programMulticast sets the device's filter to the joined groups. Called
// with b.mu held.
func (b *Backend) programMulticast() error {
	macs := make([][6]byte, 0, len(b.groups))
	for g := range b.groups {
		macs = append(macs, frame.MulticastMAC(g))
	}
	allMulti, err := b.port.SetMulticast(macs)
	if allMulti {
		slog.Debug("dpdk backend: device has no multicast filter list; receiving all multicast")
	}
	return err
}

// Close closes every transport, leaves the groups and stops the port.
// EAL stays initialised: a later New in the same process reuses it.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ts := make([]*transport, 0, len(b.transports))
	for _, t := range b.transports {
		ts = append(ts, t)
	}
	b.mu.Unlock()
	close(b.done)
	b.wg.Wait()
	for _, t := range ts {
		t.Close()
	}
	b.rxMu.Lock()
	b.txMu.Lock()
	for _, r := range b.rxq {
		r.Release()
	}
	b.rxq = nil
	if b.rxFree != nil {
		b.rxFree.Release()
		b.rxFree = nil
	}
	if b.txq != nil {
		b.txq.Release()
		b.txq = nil
	}
	if b.ctrlq != nil {
		b.ctrlq.Release()
		b.ctrlq = nil
	}
	var err error
	if b.port != nil {
		err = b.port.Close()
	}
	b.txMu.Unlock()
	b.rxMu.Unlock()
	return err
}

// housekeeping polls the receive queues when no transport has for a while
// (so ARP, ping and IGMP queries get answers on an idle driver) and sends
// the repeated unsolicited IGMP reports.
func (b *Backend) housekeeping() {
	defer b.wg.Done()
	tick := time.NewTicker(idlePoll)
	defer tick.Stop()
	var probes []probe
	probeFrame := make([]byte, frame.MinFrameLength)
	lastAge := time.Now()
	for {
		select {
		case <-b.done:
			return
		case now := <-tick.C:
			if now.UnixNano()-b.lastPoll.Load() >= int64(idlePoll) && b.rxMu.TryLock() {
				if b.rxq != nil {
					b.poll(nil, nil, 0)
				}
				b.rxMu.Unlock()
			}
			if now.Sub(lastAge) >= ageInterval {
				lastAge = now
				probes = b.neigh.age(now, probes[:0])
				for _, p := range probes {
					// A unicast request to the MAC we know (RFC 1122
					// 2.3.2.1): the owner answers, a stranger does not.
					req := frame.ARP{Op: frame.ARPRequest, SenderMAC: b.mac, SenderIP: b.addr.Addr(), TargetIP: p.ip}
					if n, err := frame.BuildARP(probeFrame, b.mac, p.mac, &req); err == nil {
						b.stats.arpOut.Add(1)
						b.sendControl(probeFrame[:n])
					}
				}
			}
			b.mu.Lock()
			for g, gr := range b.groups {
				if gr.reports > 0 && !now.Before(gr.due) {
					gr.reports--
					gr.due = now.Add(igmpRepeat)
					b.sendIGMP(g, false, b.cfg.IGMPVersion)
				}
			}
			b.mu.Unlock()
		}
	}
}

// poll takes one burst from each receive queue, lending t's datagrams into
// msgs[n:] and returning the new n, setting other endpoints' datagrams
// aside and answering control messages. With t nil everything is set
// aside. Called with rxMu held.
func (b *Backend) poll(t *transport, msgs []backend.Message, n int) int {
	b.lastPoll.Store(time.Now().UnixNano())
	for range b.rxq {
		if t != nil && n >= len(msgs) {
			break
		}
		q := b.rxq[b.rxNext]
		b.rxNext = (b.rxNext + 1) % len(b.rxq)
		want := b.BatchSize()
		if t != nil {
			want = min(want, len(msgs)-n, t.lent.Cap()-t.lent.Len())
		}
		got := q.Receive(want)
		for i := 0; i < got; i++ {
			f := q.Frame(i)
			if q.Segmented(i) || !b.forUs(f) {
				b.stats.drops.Add(1)
				q.Keep(i, b.rxFree)
				continue
			}
			var err error
			switch dpdk.ChecksumOf(q.Flags(i)) {
			case dpdk.ChecksumBad:
				err = frame.ErrChecksum
			default:
				// Ethernet's CRC guards the wire and the device
				// may leave a local sender's UDP checksum partial
				// (veth); the IPv4 header checksum is checked.
				err = frame.ParseOffloaded(f, &b.parsed)
			}
			switch {
			case err == nil:
				d := &b.parsed
				if t != nil && d.Dst == t.local && (!t.connect.IsValid() || d.Src == t.connect) {
					msgs[n] = backend.Message{Buf: d.Payload, Addr: d.Src}
					n++
					q.Keep(i, t.lent)
					b.stats.in.Add(1)
					b.stats.bytesIn.Add(uint64(len(d.Payload)))
					continue
				}
				b.setAside(d)
			case errors.Is(err, frame.ErrNotUDP) || errors.Is(err, frame.ErrNotIPv4):
				b.control(f)
			default:
				b.stats.drops.Add(1)
			}
			q.Keep(i, b.rxFree)
		}
		b.rxFree.Free()
	}
	return n
}

// forUs accepts frames to our MAC, broadcast, and multicast (the device
// filter, or software below, narrows that to joined groups).
func (b *Backend) forUs(f []byte) bool {
	if len(f) < frame.EthernetHeaderLength {
		return false
	}
	return f[0]&1 != 0 || frame.MAC(f[0:6]) == b.mac
}

// setAside copies a datagram for another endpoint into that transport's
// side ring, or counts it dropped. Called with rxMu held.
func (b *Backend) setAside(d *frame.Datagram) {
	b.mu.Lock()
	o := b.transports[d.Dst]
	b.mu.Unlock()
	if o == nil || (o.connect.IsValid() && d.Src != o.connect) || o.sideTail-o.sideHead >= uint64(len(o.side)) || len(d.Payload) > len(o.side[0].buf) {
		b.stats.drops.Add(1)
		return
	}
	s := &o.side[o.sideTail%uint64(len(o.side))]
	s.n = copy(s.buf, d.Payload)
	s.from = d.Src
	o.sideTail++
	b.stats.in.Add(1)
	b.stats.bytesIn.Add(uint64(s.n))
}

// control answers ARP for our address, ICMP echo to it and IGMP queries,
// and learns neighbours from ARP. Called with rxMu held.
func (b *Backend) control(f []byte) {
	now := time.Now()
	if frame.ParseARP(f, &b.arp) == nil {
		a := &b.arp
		b.stats.arpIn.Add(1)
		forUs := a.TargetIP == b.addr.Addr()
		b.neigh.learn(a.SenderIP, a.SenderMAC, forUs, now)
		if forUs && a.Op == frame.ARPRequest {
			reply := frame.ARP{Op: frame.ARPReply, SenderMAC: b.mac, SenderIP: b.addr.Addr(), TargetMAC: a.SenderMAC, TargetIP: a.SenderIP}
			if n, err := frame.BuildARP(b.ctrlFrame, b.mac, a.SenderMAC, &reply); err == nil {
				// Counted before it leaves: once the peer has the
				// answer, anyone reading the counters must see it.
				b.stats.arpOut.Add(1)
				b.sendControl(b.ctrlFrame[:n])
			}
		}
		return
	}
	if frame.ParseIPv4(f, &b.ctrl) != nil {
		return
	}
	p := &b.ctrl
	switch p.Protocol {
	case frame.ProtocolICMP:
		if p.Dst != b.addr.Addr() {
			return
		}
		if n, err := frame.BuildEchoReply(b.ctrlFrame, b.mac, p, uint16(b.ipID.Add(1))); err == nil {
			b.stats.echo.Add(1)
			b.sendControl(b.ctrlFrame[:n])
		}
	case frame.ProtocolIGMP:
		if frame.ParseIGMP(p, &b.igmp) != nil || b.igmp.Type != frame.IGMPQuery {
			return
		}
		// Answered at once rather than after a random delay up to
		// the maximum response time: one host per link is the norm
		// here, so suppression has nothing to save.
		version := b.igmp.Version
		if version == 1 {
			version = 2
		}
		b.mu.Lock()
		for g := range b.groups {
			if b.igmp.Group.IsUnspecified() || b.igmp.Group == g {
				b.sendIGMP(g, false, version)
			}
		}
		b.mu.Unlock()
	}
}

// sendIGMP sends a report (or a leave) for one group. Called with b.mu
// held.
func (b *Backend) sendIGMP(g netip.Addr, leave bool, version int) {
	buf := make([]byte, 128)
	var n int
	var err error
	id := uint16(b.ipID.Add(1))
	if version == 2 {
		typ := uint8(frame.IGMPv2Report)
		if leave {
			typ = frame.IGMPv2Leave
		}
		n, err = frame.BuildIGMPv2(buf, b.mac, b.addr.Addr(), typ, g, id)
	} else {
		rec := frame.IGMPRecord{Type: frame.IGMPChangeToExclude, Group: g}
		if leave {
			rec.Type = frame.IGMPChangeToInclude
		}
		n, err = frame.BuildIGMPv3Report(buf, b.mac, b.addr.Addr(), []frame.IGMPRecord{rec}, id)
	}
	if err != nil {
		return
	}
	b.sendControl(buf[:n])
	b.stats.igmpOut.Add(1)
}

// sendControl transmits one control frame through the shared TX queue.
func (b *Backend) sendControl(f []byte) {
	b.txMu.Lock()
	defer b.txMu.Unlock()
	if b.ctrlq == nil || !b.ctrlq.Alloc(1) {
		b.stats.drops.Add(1)
		return
	}
	buf := b.ctrlq.Buf(0)
	if len(buf) < len(f) {
		b.ctrlq.Transmit(0, 0)
		return
	}
	copy(buf, f)
	b.ctrlq.SetLen(0, len(f))
	if b.ctrlq.Transmit(1, 0) != 1 {
		b.stats.drops.Add(1)
	}
}

// resolve returns the MAC to send to dst with, asking by ARP and polling
// the receive queues for the answer for at most the resolve timeout.
func (b *Backend) resolve(dst netip.Addr) (frame.MAC, error) {
	hop, mac, fixed, err := b.neigh.route(dst)
	if err != nil || fixed {
		return mac, err
	}
	if mac, ok := b.neigh.lookup(hop); ok {
		return mac, nil
	}
	deadline := time.Now().Add(b.cfg.ResolveTimeout)
	for {
		now := time.Now()
		if b.neigh.shouldAsk(hop, now, arpInterval) {
			req := frame.ARP{Op: frame.ARPRequest, SenderMAC: b.mac, SenderIP: b.addr.Addr(), TargetIP: hop}
			buf := make([]byte, frame.MinFrameLength)
			if n, err := frame.BuildARP(buf, b.mac, frame.BroadcastMAC, &req); err == nil {
				b.sendControl(buf[:n])
				b.stats.arpOut.Add(1)
			}
		}
		b.rxMu.Lock()
		if b.rxq == nil {
			b.rxMu.Unlock()
			return mac, backend.ErrClosed
		}
		b.poll(nil, nil, 0)
		b.rxMu.Unlock()
		if mac, ok := b.neigh.lookup(hop); ok {
			return mac, nil
		}
		if now.After(deadline) {
			return mac, fmt.Errorf("next hop %s (towards %s) did not answer ARP within %v", hop, dst, b.cfg.ResolveTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

type sideSlot struct {
	buf  []byte
	n    int
	from netip.AddrPort
}

// transport is one endpoint.
type transport struct {
	b          *Backend
	local, src netip.AddrPort
	connect    netip.AddrPort
	ttl        uint8
	closed     atomic.Bool

	// Guarded by b.rxMu: mbufs lent to the caller since the last
	// Receive, and the side ring of datagrams others found.
	lent          *dpdk.Mbufs
	side          []sideSlot
	sideHead      uint64
	sideTail      uint64
	sideLentUntil uint64

	// Used by the one goroutine that sends: the MAC of each message
	// of a burst, and the last destination resolved.
	macs    []frame.MAC
	lastDst netip.Addr
	lastMAC frame.MAC
	lastGen uint64 // the neighbour table's generation lastMAC came from
}

func (t *transport) LocalAddr() netip.AddrPort { return t.local }

// Receive returns datagrams for this endpoint: first those set aside for
// it, then from the receive queues. The mbufs lent by the previous call go
// back to the pool first.
func (t *transport) Receive(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	b := t.b
	b.rxMu.Lock()
	defer b.rxMu.Unlock()
	if b.rxq == nil {
		return 0, backend.ErrClosed
	}
	t.lent.Free()
	t.sideHead = max(t.sideHead, t.sideLentUntil)
	n := 0
	for n < len(msgs) && t.sideHead+uint64(n) < t.sideTail {
		s := &t.side[(t.sideHead+uint64(n))%uint64(len(t.side))]
		msgs[n] = backend.Message{Buf: s.buf[:s.n], Addr: s.from}
		n++
	}
	t.sideLentUntil = t.sideHead + uint64(n)
	if n < len(msgs) {
		n = b.poll(t, msgs, n)
	}
	return n, nil
}

// Send builds a frame per message straight into mbufs and transmits them in
// bursts. Next hops are resolved first, outside the TX lock.
func (t *transport) Send(msgs []backend.Message) (int, error) {
	if t.closed.Load() {
		return 0, backend.ErrClosed
	}
	b := t.b
	e := frame.Endpoints{SrcMAC: b.mac, Src: t.src, TTL: t.ttl, NoUDPChecksum: b.txFlags != 0}
	sent := 0
	gen := b.neigh.generation()
	for sent < len(msgs) {
		k := min(len(msgs)-sent, len(t.macs))
		for i := 0; i < k; i++ {
			dst := t.dest(&msgs[sent+i])
			if !dst.IsValid() {
				b.stats.errors.Add(1)
				return sent, errors.New("dpdk send: no destination (transport is not connected)")
			}
			if dst.Addr() != t.lastDst || !t.lastDst.IsValid() || gen != t.lastGen {
				mac, err := b.resolve(dst.Addr())
				if err != nil {
					b.stats.errors.Add(1)
					return sent, fmt.Errorf("dpdk send to %s: %w", dst, err)
				}
				t.lastDst, t.lastMAC, t.lastGen = dst.Addr(), mac, gen
			}
			t.macs[i] = t.lastMAC
		}
		q, err := t.burst(msgs[sent:sent+k], &e)
		sent += q
		if err != nil || q < k {
			return sent, err
		}
	}
	return sent, nil
}

func (t *transport) dest(m *backend.Message) netip.AddrPort {
	if m.Addr.IsValid() {
		return netip.AddrPortFrom(m.Addr.Addr().Unmap(), m.Addr.Port())
	}
	return t.connect
}

// burst builds and transmits one burst; t.macs holds each message's MAC.
func (t *transport) burst(msgs []backend.Message, e *frame.Endpoints) (int, error) {
	b := t.b
	b.txMu.Lock()
	defer b.txMu.Unlock()
	if b.txq == nil {
		return 0, backend.ErrClosed
	}
	if !b.txq.Alloc(len(msgs)) {
		return 0, nil // the pool is momentarily empty: a short send
	}
	for i := range msgs {
		e.DstMAC, e.Dst = t.macs[i], t.dest(&msgs[i])
		buf := b.txq.Buf(i)
		n, err := frame.Build(buf, e, uint16(b.ipID.Add(1)), msgs[i].Buf)
		if err == nil && n-frame.EthernetHeaderLength > b.maxPayload+frame.IPv4HeaderLength+frame.UDPHeaderLength {
			err = fmt.Errorf("%d bytes exceed the port's MTU", len(msgs[i].Buf))
		}
		if err != nil {
			sent := b.txq.Transmit(i, b.txFlags)
			t.account(msgs[:sent])
			b.stats.errors.Add(1)
			return sent, fmt.Errorf("dpdk send %d bytes to %s: %w", len(msgs[i].Buf), e.Dst, err)
		}
		if b.txFlags != 0 {
			frame.PrepareChecksumOffload(buf[:n])
		}
		b.txq.SetLen(i, n)
	}
	sent := b.txq.Transmit(len(msgs), b.txFlags)
	t.account(msgs[:sent])
	return sent, nil
}

func (t *transport) account(msgs []backend.Message) {
	var bytes uint64
	for i := range msgs {
		bytes += uint64(len(msgs[i].Buf))
	}
	t.b.stats.out.Add(uint64(len(msgs)))
	t.b.stats.bytesOut.Add(bytes)
}

// Close releases the endpoint and its lent mbufs; a multicast endpoint
// leaves its group when it was the last.
func (t *transport) Close() error {
	if t.closed.Swap(true) {
		return nil
	}
	b := t.b
	b.mu.Lock()
	delete(b.transports, t.local)
	if t.local.Addr().IsMulticast() {
		b.leave(t.local.Addr())
	}
	b.mu.Unlock()
	b.rxMu.Lock()
	t.lent.Release()
	b.rxMu.Unlock()
	return nil
}
