package netns

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// prefix marks every namespace this package creates.
const prefix = "abt"

// commandTimeout bounds every ip(8) invocation.
const commandTimeout = 10 * time.Second

var counter atomic.Uint32

// Options shape a Network.
type Options struct {
	// Hosts is 2 (one link) or 3 (a chain through a forwarding middle
	// host). Default 2.
	Hosts int
	// MTU of every veth; 0 keeps the kernel default (1500).
	MTU int
}

// Host is one namespace.
type Host struct {
	// Name is the namespace name (for ip netns exec).
	Name string
	// Links are the host's interfaces in link order: one for an end host,
	// two for the middle host of a chain.
	Links []Link
}

// Link is one end of a veth pair inside a host.
type Link struct {
	IfName string
	Addr   netip.Prefix
	// Peer is the address at the other end of the veth.
	Peer netip.Addr
}

// Addr is the host's first address.
func (h *Host) Addr() netip.Addr { return h.Links[0].Addr.Addr() }

// IfName is the host's first interface.
func (h *Host) IfName() string { return h.Links[0].IfName }

// Network is a set of hosts joined by veth pairs.
type Network struct {
	Hosts []*Host
}

// Require skips the test with the reason when namespaces cannot be made
// here (not root, no ip(8)); in CI (CI=true) it fails instead, because CI
// machines must run these tests.
func Require(t testing.TB) {
	t.Helper()
	reason := ""
	if os.Geteuid() != 0 {
		reason = "network namespace tests need root"
	} else if _, err := exec.LookPath("ip"); err != nil {
		reason = "network namespace tests need ip(8) from iproute2"
	}
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(reason + " (required in CI)")
	}
	t.Skip(reason)
}

// New builds a network and registers its teardown with t.Cleanup.
func New(t testing.TB, opts Options) *Network {
	t.Helper()
	Require(t)
	removeStale()
	if opts.Hosts == 0 {
		opts.Hosts = 2
	}
	if opts.Hosts != 2 && opts.Hosts != 3 {
		t.Fatalf("netns: %d hosts; 2 or 3 are supported", opts.Hosts)
	}
	id := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), counter.Add(1))
	n := &Network{}
	t.Cleanup(func() { n.Close() })
	names := []string{id + "-a", id + "-b"}
	if opts.Hosts == 3 {
		names = []string{id + "-a", id + "-r", id + "-b"}
	}
	for _, name := range names {
		if err := ip("netns", "add", name); err != nil {
			t.Fatalf("netns: %v", err)
		}
		n.Hosts = append(n.Hosts, &Host{Name: name})
		if err := ip("-n", name, "link", "set", "lo", "up"); err != nil {
			t.Fatalf("netns: %v", err)
		}
	}
	// Link i joins host i and host i+1 on 198.18+i.0.0/24. The namespaces
	// are private, so every network reuses the same numbers safely.
	for i := 0; i+1 < len(n.Hosts); i++ {
		left, right := n.Hosts[i], n.Hosts[i+1]
		la := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i), 0, 1}), 24)
		ra := netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i), 0, 2}), 24)
		lif, rif := fmt.Sprintf("veth%d%c", i, 'l'), fmt.Sprintf("veth%d%c", i, 'r')
		if err := ip("link", "add", lif, "netns", left.Name, "type", "veth", "peer", "name", rif, "netns", right.Name); err != nil {
			t.Fatalf("netns: %v", err)
		}
		for _, end := range []struct {
			h    *Host
			ifn  string
			addr netip.Prefix
			peer netip.Addr
		}{{left, lif, la, ra.Addr()}, {right, rif, ra, la.Addr()}} {
			if opts.MTU > 0 {
				if err := ip("-n", end.h.Name, "link", "set", end.ifn, "mtu", strconv.Itoa(opts.MTU)); err != nil {
					t.Fatalf("netns: %v", err)
				}
			}
			if err := ip("-n", end.h.Name, "addr", "add", end.addr.String(), "dev", end.ifn); err != nil {
				t.Fatalf("netns: %v", err)
			}
			if err := ip("-n", end.h.Name, "link", "set", end.ifn, "up"); err != nil {
				t.Fatalf("netns: %v", err)
			}
			end.h.Links = append(end.h.Links, Link{IfName: end.ifn, Addr: end.addr, Peer: end.peer})
		}
	}
	// A veth carries nothing until both ends are up and the kernel has
	// activated its queues, which can lag behind under load: wait for
	// the operational state, so a test's first datagrams are not lost.
	for _, h := range n.Hosts {
		for _, l := range h.Links {
			if err := waitOperUp(h.Name, l.IfName, 10*time.Second); err != nil {
				t.Fatalf("netns: %v", err)
			}
		}
	}
	if len(n.Hosts) == 3 {
		a, r, b := n.Hosts[0], n.Hosts[1], n.Hosts[2]
		if _, err := r.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1"); err != nil {
			t.Fatalf("netns: forwarding on %s: %v", r.Name, err)
		}
		if err := ip("-n", a.Name, "route", "add", "198.19.0.0/24", "via", r.Links[0].Addr.Addr().String()); err != nil {
			t.Fatalf("netns: %v", err)
		}
		if err := ip("-n", b.Name, "route", "add", "198.18.0.0/24", "via", r.Links[1].Addr.Addr().String()); err != nil {
			t.Fatalf("netns: %v", err)
		}
	}
	return n
}

// Close kills every process left in the namespaces and deletes them (which
// deletes their veths). It is safe to call twice.
func (n *Network) Close() {
	for _, h := range n.Hosts {
		deleteNamespace(h.Name)
	}
	n.Hosts = nil
}

func deleteNamespace(name string) {
	if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscallKill(pid)
			}
		}
	}
	_ = ip("netns", "del", name)
}

// removeStale deletes namespaces of earlier runs whose process is gone.
func removeStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(f[0], prefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidStr); err != nil {
			deleteNamespace(f[0])
		}
	}
}

// Command returns a command that runs inside the host's namespace. The
// caller starts it and must wait for it; processes still running when the
// network closes are killed.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Exec runs a command inside the namespace with a bounded time and returns
// its combined output.
func (h *Host) Exec(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := h.Command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s in %s: %w: %s", name, strings.Join(args, " "), h.Name, err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Run calls fn on an OS thread switched into the host's namespace. Sockets
// fn creates stay in the namespace for their whole life, whichever thread
// later uses them; goroutines fn starts run in the caller's namespace.
func (h *Host) Run(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current namespace: %w", err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(h.Name)
		if err != nil {
			errc <- fmt.Errorf("open namespace %s: %w", h.Name, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- fmt.Errorf("enter namespace %s: %w", h.Name, err)
			return
		}
		var ferr error
		func() {
			defer func() {
				if r := recover(); r != nil {
					ferr = fmt.Errorf("panic in namespace %s: %v", h.Name, r)
				}
			}()
			ferr = fn()
		}()
		// Only a thread that made it back may serve other goroutines;
		// otherwise it stays locked and exits with this goroutine.
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

func ip(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// waitOperUp waits until interface ifname in namespace ns is operationally
// up.
func waitOperUp(ns, ifname string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		out, err := exec.Command("ip", "-n", ns, "-o", "link", "show", ifname).CombinedOutput()
		if err == nil && strings.Contains(string(out), " state UP ") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s in %s not up after %v: %s", ifname, ns, limit, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
