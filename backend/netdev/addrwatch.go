package netdev

import (
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

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
	updates, stop, err := w.subscribe()
	if err != nil {
		return nil, err
	}
	// Addresses may have changed between the caller's look-up and the
	// subscription.
	w.reread()
	go w.follow(updates, stop)
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

func (w *AddrWatch) subscribe() (chan netlink.AddrUpdate, chan struct{}, error) {
	updates, stop := make(chan netlink.AddrUpdate, 64), make(chan struct{})
	ns := w.n.ns
	err := netlink.AddrSubscribeWithOptions(updates, stop, netlink.AddrSubscribeOptions{
		Namespace: &ns,
		ErrorCallback: func(error) {
			select {
			case <-stop:
			default:
				w.Errors.Add(1)
			}
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("follow the addresses of interface %d: %w", w.index, err)
	}
	return updates, stop, nil
}

func (w *AddrWatch) follow(updates chan netlink.AddrUpdate, stop chan struct{}) {
	defer close(w.stopped)
	end := func() {
		close(stop)
		for range updates { // let the library's goroutine finish its send
		}
	}
	for {
		select {
		case <-w.done:
			end()
			return
		case u, ok := <-updates:
			if ok {
				if u.LinkIndex == w.index {
					w.reread()
				}
				continue
			}
			// The socket failed (an overrun, say): follow again, and read
			// the addresses, whose changes may have been missed.
			end()
			for {
				w.Errors.Add(1)
				select {
				case <-w.done:
					return
				case <-time.After(resubscribeDelay):
				}
				var err error
				if updates, stop, err = w.subscribe(); err == nil {
					break
				}
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
