//go:build dpdk

package dpdk

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// stream is one publication and the subscription that checks what it
// sends: count messages "i:" padded to a length from the index (up to
// two MTUs, so some are fragmented), every one once and in order.
type stream struct {
	name     string
	pub      *client.Publication
	sub      *client.Subscription
	handler  client.FragmentHandler
	id       int32
	sent     int
	received int
	failure  string
}

func payload(i int) []byte {
	n := (i * 397) % 3000
	b := []byte(strconv.Itoa(i) + ":")
	for len(b) < n {
		b = append(b, byte('a'+i%26))
	}
	return b
}

func (s *stream) onMessage(buf shm.AtomicBuffer, offset, length int, h *client.Header) {
	got := buf.Bytes()[offset : offset+length]
	if s.failure == "" {
		if h.StreamID() != s.id {
			s.failure = fmt.Sprintf("message %d arrived on stream %d", s.received, h.StreamID())
		} else if want := payload(s.received); !bytes.Equal(got, want) {
			s.failure = fmt.Sprintf("message %d: %d bytes starting %q, want %d starting %q", s.received, len(got),
				got[:min(len(got), 12)], len(want), want[:min(len(want), 12)])
		}
	}
	s.received++
}

// TestAeronManyChannels has the Go client drive both drivers through their
// cnc.dat files from the test process: several publications from our
// driver to the Java host (three send endpoints on ephemeral ports of the
// backend's address, one carrying two streams) and several from the Java
// host to ours (two receive endpoints, one carrying two streams), all at
// once, so the backend demultiplexes data, status messages and NAKs to
// many transports. Every stream must arrive whole and in order.
func TestAeronManyChannels(t *testing.T) {
	e := setupAeron(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ours, err := client.Connect(ctx, client.Config{Dir: e.ours.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	java, err := client.Connect(ctx, client.Config{Dir: e.java.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer java.Close()

	peer := e.b.Addr().String()
	// A channel MTU the port cannot carry is refused when the publication
	// is made (the backend does not fragment), not at every send.
	if _, err := ours.AddPublication(ctx, "aeron:udp?endpoint="+peer+":40463|mtu=8192", 2005); err == nil ||
		!strings.Contains(err.Error(), "do not fit the port's MTU") {
		t.Fatalf("publication with mtu=8192 on a 1500-byte port: %v", err)
	}

	const count = 1000
	specs := []struct {
		from, to *client.Client
		endpoint string
		id       int32
	}{
		{ours, java, peer + ":40460", 2001},
		{ours, java, peer + ":40461", 2002},
		{ours, java, peer + ":40460", 2003},
		{ours, java, peer + ":40462", 2004},
		{java, ours, ourAddr + ":40470", 2011},
		{java, ours, ourAddr + ":40471", 2012},
		{java, ours, ourAddr + ":40470", 2013},
	}
	var streams []*stream
	for _, sp := range specs {
		ch := "aeron:udp?endpoint=" + sp.endpoint + "|term-length=64k"
		s := &stream{name: fmt.Sprintf("%s stream %d", ch, sp.id), id: sp.id}
		if s.sub, err = sp.to.AddSubscription(ctx, ch, sp.id); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.pub, err = sp.from.AddPublication(ctx, ch, sp.id); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		s.handler = client.NewFragmentAssembler(s.onMessage, 4096).Handler()
		streams = append(streams, s)
	}
	// Bounded by count and by time: offers never block, polls take at
	// most ten fragments.
	deadline := time.Now().Add(90 * time.Second)
	for done := false; !done; {
		if time.Now().After(deadline) {
			for _, s := range streams {
				t.Logf("%s: sent %d, received %d, connected %v", s.name, s.sent, s.received, s.pub.IsConnected())
			}
			aeronjava.LogCounters(t, e.ours.kind+" on "+e.ours.host.Name, e.ours.dir)
			aeronjava.LogCounters(t, e.java.kind+" on "+e.java.host.Name, e.java.dir)
			t.Fatal("streams incomplete after 90 s")
		}
		done = true
		work := 0
		for _, s := range streams {
			for k := 0; k < 4 && s.sent < count && s.pub.Offer(payload(s.sent)) >= 0; k++ {
				s.sent++
				work++
			}
			work += s.sub.Poll(s.handler, 10)
			if s.failure != "" {
				t.Fatalf("%s: %s", s.name, s.failure)
			}
			if s.received < count {
				done = false
			}
		}
		if work == 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	for _, s := range streams {
		if s.received != count {
			t.Errorf("%s: received %d, want %d", s.name, s.received, count)
		}
	}
	// The send endpoints asked for 0.0.0.0:0: each got the backend's
	// address and a port of its own.
	ports := map[string]bool{}
	for _, l := range aeronjava.CounterLabels(t, e.ours.dir) {
		if !strings.HasPrefix(l, "snd-channel:") {
			continue
		}
		f := strings.Fields(l)
		local, err := netip.ParseAddrPort(f[len(f)-1])
		if err != nil || local.Addr().String() != ourAddr || local.Port() == 0 || ports[f[len(f)-1]] {
			t.Errorf("send channel %q: want a port of its own on %s", l, ourAddr)
		}
		ports[f[len(f)-1]] = true
	}
	if len(ports) != 3 {
		t.Errorf("%d send endpoints, want 3: %v", len(ports), ports)
	}
	t.Logf("send endpoints of our driver: %v", ports)
}
