package xdp

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// nsHandle is the network namespace the backend was made in. Kernel
// sockets that Open makes (port reservation, multicast membership) must
// live there, whichever thread calls Open.
type nsHandle struct {
	f   *os.File
	ino uint64
}

func currentNS() (nsHandle, error) {
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nsHandle{}, fmt.Errorf("open network namespace: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nsHandle{}, fmt.Errorf("stat network namespace: %w", err)
	}
	return nsHandle{f: f, ino: st.Ino}, nil
}

// do runs fn on a thread in the namespace, switching only when the
// calling thread is elsewhere.
func (h nsHandle) do(fn func() error) error {
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil && st.Ino == h.ino {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- fmt.Errorf("open network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := unix.Setns(int(h.f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("enter the backend's network namespace: %w", err)
			return
		}
		ferr := fn()
		// A thread that cannot switch back stays locked and exits with
		// this goroutine, so no other goroutine runs in the wrong place.
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

func (h nsHandle) close() {
	if h.f != nil {
		h.f.Close()
	}
}
