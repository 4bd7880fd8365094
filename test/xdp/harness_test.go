package xdp

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// The Aeron-level tests run Aeron's Java clients against our driver on the
// xdp backend in one namespace and Aeron's Java media driver on kernel UDP
// in the other. The pieces below follow test/interop's harness.

// TestMain removes what the tests built once for all of them.
func TestMain(m *testing.M) {
	code := m.Run()
	aeronjava.RemoveBuilt()
	os.Exit(code)
}

// netDriver is a media driver running inside one host.
type netDriver struct {
	name string // "xdp", "udp" (ours) or "java"
	host *netns.Host
	dir  string
	proc *aeronjava.Process
}

// startOurs starts aeron-bypass inside h on the given backend (xdp or udp)
// with env as AERON_* settings.
func startOurs(t *testing.T, h *netns.Host, be string, env ...string) *netDriver {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron-"+h.Name)
	args := []string{"--backend", be}
	if be == "xdp" {
		args = append(args, "--interface", h.IfName())
	}
	return &netDriver{name: be, host: h, dir: dir, proc: aeronjava.StartOurDriverIn(t, h.Name, dir, env, args...)}
}

// startJavaDriver starts Aeron's Java media driver inside h.
func startJavaDriver(t *testing.T, h *netns.Host, props map[string]string) *netDriver {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeron-"+h.Name)
	return &netDriver{name: "java", host: h, dir: dir, proc: aeronjava.StartMediaDriverIn(t, h.Name, dir, props)}
}

// startJavaIn runs one of the Java programs inside a host against a driver.
func startJavaIn(t *testing.T, d *netDriver, main string, args ...string) *aeronjava.Process {
	t.Helper()
	jargs := aeronjava.JavaArgs(aeronjava.InteropClasspath(t), map[string]string{"aeron.dir": d.dir})
	name, argv := aeronjava.InNetns(d.host.Name, "java", append(append(jargs, main), args...)...)
	return aeronjava.Start(t, nil, name, argv...)
}

// mixedExchange sends count seeded messages of mixed sizes from a publisher
// on pubD to a subscriber on subD and checks every one arrived once, in
// order, intact. during, if set, runs once the publisher has started.
func mixedExchange(t *testing.T, pubD, subD *netDriver, pubChannel, subChannel string, count, maxLen int, seed int64, during func()) {
	t.Helper()
	common := func(ch string) []string {
		return []string{ch, "1001", fmt.Sprint(count), fmt.Sprint(seed), fmt.Sprint(maxLen), "60"}
	}
	sub := startJavaIn(t, subD, "MixedSizes", append([]string{"sub"}, common(subChannel)...)...)
	sub.WaitOutput(t, "READY", 60*time.Second)
	start := time.Now()
	pub := startJavaIn(t, pubD, "MixedSizes", append([]string{"pub"}, common(pubChannel)...)...)
	if during != nil {
		during()
	}
	if code := sub.ExitCode(t, 90*time.Second); code != 0 {
		t.Fatalf("subscriber exited %d:\n%s\npublisher:\n%s", code, sub.Output(), pub.Output())
	}
	if code := pub.ExitCode(t, 30*time.Second); code != 0 {
		t.Fatalf("publisher exited %d:\n%s", code, pub.Output())
	}
	t.Logf("%d messages %s -> %s in %v (JVM start included)", count, pubD.name, subD.name, time.Since(start).Round(time.Millisecond))
}

// sideTraffic is a ping and a TCP connection across the link that run
// while Aeron's datagrams go through AF_XDP: everything that is not the
// driver's must still reach Linux.
type sideTraffic struct {
	ping     *aeronjava.Process
	ln       net.Listener
	cli, srv net.Conn
	stop     chan struct{}
	done     chan error
	trips    atomic.Int64
}

// startSideTraffic pings the xdp host from the other one every 200 ms and
// echoes 8 bytes over TCP every 50 ms, until check.
func startSideTraffic(t *testing.T, xdpHost, other *netns.Host) *sideTraffic {
	t.Helper()
	s := &sideTraffic{stop: make(chan struct{}), done: make(chan error, 1)}
	addr := net.JoinHostPort(xdpHost.Addr().String(), "20400")
	inNS(t, xdpHost, func() (err error) { s.ln, err = net.Listen("tcp4", addr); return err })
	t.Cleanup(func() { s.ln.Close() })
	inNS(t, other, func() (err error) { s.cli, err = net.DialTimeout("tcp4", addr, 5*time.Second); return err })
	t.Cleanup(func() { s.cli.Close() })
	srv, err := s.ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	t.Cleanup(func() { srv.Close() })
	go func() { _, _ = io.Copy(srv, srv) }()
	go func() {
		buf := make([]byte, 8)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				s.done <- nil
				return
			case <-tick.C:
			}
			_ = s.cli.SetDeadline(time.Now().Add(2 * time.Second))
			msg := fmt.Sprintf("%08d", i%100000000)
			if _, err := s.cli.Write([]byte(msg)); err != nil {
				s.done <- fmt.Errorf("tcp write: %w", err)
				return
			}
			if _, err := io.ReadFull(s.cli, buf); err != nil || string(buf) != msg {
				s.done <- fmt.Errorf("tcp echo %q: %q %v", msg, buf, err)
				return
			}
			s.trips.Add(1)
		}
	}()
	// Bounded by -w; check interrupts it sooner.
	name, argv := aeronjava.InNetns(other.Name, "ping", "-i", "0.2", "-w", "150", "-W", "2", xdpHost.Addr().String())
	s.ping = aeronjava.Start(t, nil, name, argv...)
	return s
}

// check stops the side traffic and fails the test if TCP broke or ping
// lost replies. ip netns exec execs ping in place, so the interrupt reaches
// ping, which prints its summary.
func (s *sideTraffic) check(t *testing.T) {
	t.Helper()
	close(s.stop)
	if err := <-s.done; err != nil {
		t.Fatalf("TCP across the link during the run: %v", err)
	}
	_ = s.ping.Cmd.Process.Signal(os.Interrupt)
	if _, ok := s.ping.Wait(5 * time.Second); !ok {
		t.Fatalf("ping did not stop:\n%s", s.ping.Output())
	}
	var sent, got int
	for _, l := range strings.Split(s.ping.Output(), "\n") {
		if strings.Contains(l, "packets transmitted") {
			_, _ = fmt.Sscanf(l, "%d packets transmitted, %d received", &sent, &got)
		}
	}
	// The echo requests in flight when ping was interrupted (two, if a
	// round trip took longer than the 200 ms interval) may be counted
	// as lost.
	if sent < 3 || got < sent-2 {
		t.Fatalf("ping during the run: %d sent, %d answered\n%s", sent, got, s.ping.Output())
	}
	t.Logf("side traffic: %d pings answered of %d, %d TCP round trips", got, sent, s.trips.Load())
}
