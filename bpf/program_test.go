package bpf

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"

	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loading XDP programs needs root (CAP_BPF and CAP_NET_ADMIN)")
	}
}

func TestLoadAndMaps(t *testing.T) {
	requireRoot(t)
	p, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ep := netip.MustParseAddrPort("198.18.0.1:20121")
	if err := p.AddEndpoint(ep); err != nil {
		t.Fatal(err)
	}
	var k steerEndpoint
	var v uint32
	if err := p.objs.Endpoints.NextKey(nil, &k); err != nil {
		t.Fatal(err)
	}
	// The key holds the port big-endian, as in the packet.
	if k.Addr != ep.Addr().As16() || k.Port != 0x994e {
		t.Fatalf("key %+v", k)
	}
	if err := p.objs.Endpoints.Lookup(&k, &v); err != nil || v != 1 {
		t.Fatalf("lookup: %v %d", err, v)
	}
	if err := p.RemoveEndpoint(ep); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveEndpoint(ep); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if err := p.SetSocket(MaxQueues, 3); err == nil {
		t.Fatal("queue out of range accepted")
	}
	if _, err := p.Stats(); err != nil {
		t.Fatal(err)
	}
}

// TestSteering attaches the program to a veth and checks, from the
// counters and a kernel socket, that datagrams for a registered endpoint
// are redirected (here to an empty queue slot, so the kernel still gets
// them and redirect-failed counts them) and that everything else passes.
func TestSteering(t *testing.T) {
	requireRoot(t)
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	p, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var l link.Link
	var conn *net.UDPConn
	if err := a.Run(func() error {
		ifc, err := net.InterfaceByName(a.IfName())
		if err != nil {
			return err
		}
		var used Mode
		var reason string
		l, used, reason, err = p.Attach(ifc.Index, ModeAuto)
		if err != nil {
			return err
		}
		t.Logf("attached in %s mode %s", used, reason)
		// A second attach must refuse to replace the first.
		if l2, _, _, err := p.Attach(ifc.Index, ModeAuto); err == nil {
			l2.Close()
			return fmt.Errorf("second attach replaced the first")
		} else if !strings.Contains(err.Error(), "not replacing") {
			return fmt.Errorf("second attach: %w", err)
		}
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IP(a.Addr().AsSlice()), Port: 20121})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer conn.Close()
	if err := p.AddEndpoint(netip.AddrPortFrom(a.Addr(), 20121)); err != nil {
		t.Fatal(err)
	}

	const count = 20
	before, _ := p.Stats()
	if err := b.Run(func() error {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IP(a.Addr().AsSlice()), Port: 20121})
		if err != nil {
			return err
		}
		defer c.Close()
		for i := 0; i < count; i++ {
			if _, err := c.Write([]byte("steered")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	for i := 0; i < count; i++ {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := conn.Read(buf)
		if err != nil || !bytes.Equal(buf[:m], []byte("steered")) {
			t.Fatalf("datagram %d: %v %q", i, err, buf[:m])
		}
	}
	after, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if got := after.RedirectFailed - before.RedirectFailed; got != count {
		t.Fatalf("redirect failed %d, want %d (stats %+v)", got, count, after)
	}
	if after.Redirected != 0 {
		t.Fatalf("redirected %d with no socket", after.Redirected)
	}
	// Ping (ARP and ICMP) passes.
	if out, err := b.Exec("ping", "-c", "2", "-i", "0.2", "-W", "2", a.Addr().String()); err != nil {
		t.Fatalf("ping: %v %s", err, out)
	}
	final, _ := p.Stats()
	if final.Passed <= after.Passed {
		t.Fatalf("passed did not grow: %+v", final)
	}
}

// TestGeneratedObjectIsCurrent rebuilds the program with the flags of the
// generate directive into a temporary directory and compares the object with
// the committed one, so that steer.c and steer_bpfel.o cannot drift.
// It needs clang; set CHECK_GENERATE=1 to make a missing clang fail.
func TestGeneratedObjectIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("clang"); err != nil {
		if os.Getenv("CHECK_GENERATE") == "1" {
			t.Fatal("clang is needed to check the generated XDP object")
		}
		t.Skip("clang not installed; cannot regenerate the XDP object")
	}
	if testing.Short() {
		t.Skip("regenerating the XDP object is slow; skipped with -short")
	}
	dir := t.TempDir()
	for _, f := range []string{"src/steer.c"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tool := filepath.Join(t.TempDir(), "bpf2go")
	if out, err := exec.Command("go", "build", "-o", tool, "github.com/cilium/ebpf/cmd/bpf2go").CombinedOutput(); err != nil {
		t.Fatalf("build bpf2go: %v\n%s", err, out)
	}
	// Same relative source path as go:generate, so the debug info matches.
	cmd := exec.Command(tool, "-go-package", "bpf", "-target", "bpfel",
		"-cflags", "-O2 -g -Wall -I/usr/include/x86_64-linux-gnu", "steer", "src/steer.c")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, out)
	}
	want, err := os.ReadFile("steer_bpfel.o")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "steer_bpfel.o"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("steer_bpfel.o is stale: run make generate and commit the result")
	}
}
