package netdev

import (
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/vishvananda/netlink"
)

// AddrWatch follows the IPv4 addresses of one interface, so that a
// backend steering a wildcard endpoint takes addresses added later, as a
// kernel socket bound to 0.0.0.0 does.
type AddrWatch struct {
	n       *Namespace
	index   int
	changed func([]netip.Addr)
	last    []netip.Addr

	done    chan struct{}
	stopped chan struct{}
	// Errors counts failures to follow or to read the addresses; the
	// watch carries on after them.
	Errors atomic.Uint64
}

// WatchAddrs calls changed with the interface's IPv4 addresses whenever
// they change, from a goroutine of its own, until Close. The interface's
// addresses at the call are taken as known: changed is not called for
// them.
func (n *Namespace) WatchAddrs(ifc Interface, changed func([]netip.Addr)) (*AddrWatch, error) {
	w := &AddrWatch{n: n, index: ifc.Index, changed: changed, last: slices.Clone(ifc.Addrs),
		done: make(chan struct{}), stopped: make(chan struct{})}
	s, err := w.subscribe()
	if err != nil {
		return nil, err
	}
	// Addresses may have changed between the caller's look-up and the
	// subscription.
	w.reread()
	go w.follow(s)
	return w, nil
}

// Close stops the watch; changed is not called after it returns.
func (w *AddrWatch) Close() error {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	<-w.stopped
	return nil
}

func (w *AddrWatch) subscribe() (subscription[netlink.AddrUpdate], error) {
	s := newSubscription[netlink.AddrUpdate](64)
	ns := w.n.ns
	err := netlink.AddrSubscribeWithOptions(s.updates, s.stop, netlink.AddrSubscribeOptions{
		Namespace: &ns, ErrorCallback: s.onError(&w.Errors),
	})
	if err != nil {
		return s, fmt.Errorf("follow the addresses of interface %d: %w", w.index, err)
	}
	return s, nil
}

func (w *AddrWatch) follow(s subscription[netlink.AddrUpdate]) {
	defer close(w.stopped)
	for {
		select {
		case <-w.done:
			s.end()
			return
		case u, ok := <-s.updates:
			if ok {
				if u.LinkIndex == w.index {
					w.reread()
				}
				continue
			}
			// The socket failed: follow again, and read the addresses,
			// whose changes may have been missed.
			s.end()
			var closing bool
			if s, closing = resubscribe(w.done, &w.Errors, w.subscribe); closing {
				return
			}
			w.reread()
		}
	}
}

// reread reads the interface's addresses and reports them if they
// changed. Reading rather than applying each notification keeps the set
// right whatever notifications were lost or merged.
func (w *AddrWatch) reread() {
	ifc, err := w.n.ByIndex(w.index)
	if err != nil {
		w.Errors.Add(1)
		return
	}
	if slices.Equal(ifc.Addrs, w.last) {
		return
	}
	w.last = ifc.Addrs
	w.changed(slices.Clone(ifc.Addrs))
}
