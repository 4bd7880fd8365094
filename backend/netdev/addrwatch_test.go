package netdev

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func TestWatchAddrs(t *testing.T) {
	nw := netns.New(t, netns.Options{})
	a := nw.Hosts[0]
	n := open(t, a)
	ifc, err := n.Lookup(a.IfName())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen [][]netip.Addr
	w, err := n.WatchAddrs(ifc, func(addrs []netip.Addr) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, addrs)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	last := func() []netip.Addr {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return nil
		}
		return seen[len(seen)-1]
	}
	extra := netip.AddrFrom4([4]byte{198, 18, 0, 200})
	if _, err := a.Exec("ip", "addr", "add", extra.String()+"/32", "dev", a.IfName()); err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(ifc.Addrs), extra)
	if !waitFor(5*time.Second, func() bool { return slices.Equal(last(), want) }) {
		t.Fatalf("after adding %s: saw %v, want %v", extra, last(), want)
	}
	if _, err := a.Exec("ip", "addr", "del", extra.String()+"/32", "dev", a.IfName()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return slices.Equal(last(), ifc.Addrs) }) {
		t.Fatalf("after removing %s: saw %v, want %v", extra, last(), ifc.Addrs)
	}
	// Another interface's addresses are not this watch's business: the
	// change after it on the watched interface is the only call.
	mu.Lock()
	calls := len(seen)
	mu.Unlock()
	if _, err := a.Exec("ip", "addr", "add", "198.18.0.201/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("ip", "addr", "add", extra.String()+"/32", "dev", a.IfName()); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool { return slices.Equal(last(), want) }) {
		t.Fatalf("after adding %s again: saw %v, want %v", extra, last(), want)
	}
	w.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != calls+1 {
		t.Fatalf("calls after the address on lo: %v, want one", seen[calls:])
	}
	if w.Errors.Load() != 0 {
		t.Fatalf("%d errors", w.Errors.Load())
	}
}
