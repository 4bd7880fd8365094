package interop

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/chaos"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// requireRecovery checks that the receiving driver NAKed and the sending
// driver retransmitted.
func requireRecovery(t *testing.T, pubD, subD *netDriver) {
	t.Helper()
	sent, recv := aeronjava.SystemCounters(t, pubD.dir), aeronjava.SystemCounters(t, subD.dir)
	t.Logf("publisher side (%s): NAKs received %d, retransmits %d; subscriber side (%s): NAKs sent %d",
		pubD.kind, sent["NAKs received"], sent["Retransmits sent"], subD.kind, recv["NAKs sent"])
	if recv["NAKs sent"] == 0 || sent["NAKs received"] == 0 || sent["Retransmits sent"] == 0 {
		t.Fatalf("no recovery on record: subscriber NAKs sent %d, publisher NAKs received %d, retransmits %d",
			recv["NAKs sent"], sent["NAKs received"], sent["Retransmits sent"])
	}
}

// TestRecoveryThroughChaosRelay runs the exchange through a third host
// that drops, duplicates and reorders 5% of the datagrams each way, data
// and control alike.
func TestRecoveryThroughChaosRelay(t *testing.T) {
	netns.Require(t)
	for i, p := range pairs {
		t.Run(pairName(p), func(t *testing.T) {
			n := netns.New(t, netns.Options{Hosts: 3})
			a, r, b := n.Hosts[0], n.Hosts[1], n.Hosts[2]
			imp := chaos.Impairment{Drop: 0.05, Duplicate: 0.05, Reorder: 0.05}
			var relay *chaos.Relay
			listen := netip.AddrPortFrom(r.Links[0].Addr.Addr(), 40456)
			target := netip.AddrPortFrom(b.Addr(), 40456)
			if err := r.Run(func() (err error) {
				relay, err = chaos.New(chaos.Config{Listen: listen, Target: target, Forward: imp, Backward: imp, Seed: int64(11 + i)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			defer relay.Close()
			pubD := startDriverIn(t, a, p[0], nil)
			subD := startDriverIn(t, b, p[1], nil)
			pubCh := fmt.Sprintf("aeron:udp?endpoint=%s|term-length=64k", listen)
			subCh := fmt.Sprintf("aeron:udp?endpoint=%s|term-length=64k", target)
			mixedExchange(t, pubD, subD, pubCh, subCh, 3000, 4000, 13)
			f, bk := relay.ForwardStats(), relay.BackwardStats()
			t.Logf("relay forward %+v backward %+v", f, bk)
			if f.Dropped == 0 || f.Duplicated == 0 || f.Reordered == 0 || bk.Dropped == 0 {
				t.Fatalf("the relay did not impair both directions: forward %+v backward %+v", f, bk)
			}
			requireRecovery(t, pubD, subD)
		})
	}
}

// TestRecoveryFromDriverLoss has each driver drop 5% of what it sends and
// receives, with its own means: the Java driver's debug endpoints and our
// loss interceptor.
func TestRecoveryFromDriverLoss(t *testing.T) {
	netns.Require(t)
	for i, p := range pairs {
		t.Run(pairName(p), func(t *testing.T) {
			n := netns.New(t, netns.Options{})
			a, b := n.Hosts[0], n.Hosts[1]
			pubD := startDriverIn(t, a, p[0], aeronjava.LossProps(p[0] == javaDriver, 21+i))
			subD := startDriverIn(t, b, p[1], aeronjava.LossProps(p[1] == javaDriver, 31+i))
			ch := fmt.Sprintf("aeron:udp?endpoint=%s:40456|term-length=64k", b.Addr())
			mixedExchange(t, pubD, subD, ch, ch, 3000, 4000, 17)
			requireRecovery(t, pubD, subD)
		})
	}
}
