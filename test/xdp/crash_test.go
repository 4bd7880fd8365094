package xdp

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	xdpb "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// crashChild attaches the backend and waits to be killed. It runs in the
// child process started by TestKilledDriverLeavesNoProgram, inside the
// namespace given by ip netns exec.
func crashChild() {
	be, err := xdpb.New(backend.Options{Interface: os.Getenv("XDP_CRASH_IFACE")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	local, err := netip.ParseAddrPort(os.Getenv("XDP_CRASH_LOCAL"))
	if err == nil {
		_, err = be.Open(backend.Spec{Local: local})
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(60 * time.Second) // bounded: the parent kills us long before
	os.Exit(2)
}

func TestKilledDriverLeavesNoProgram(t *testing.T) {
	if os.Getenv("XDP_CRASH_IFACE") != "" {
		crashChild()
		return
	}
	netns.Require(t)
	n := netns.New(t, netns.Options{})
	a, b := n.Hosts[0], n.Hosts[1]
	local := netip.AddrPortFrom(a.Addr(), 20131)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", a.Name, exe, "-test.run=^TestKilledDriverLeavesNoProgram$")
	cmd.Env = append(os.Environ(), "XDP_CRASH_IFACE="+a.IfName(), "XDP_CRASH_LOCAL="+local.String())
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if l := sc.Text(); l == "ready" || strings.HasPrefix(l, "error:") {
				ready <- l
				return
			}
		}
		ready <- "child exited"
	}()
	select {
	case l := <-ready:
		if l != "ready" {
			t.Fatalf("child: %s", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child did not attach within 20s")
	}
	if out, _ := a.Exec("ip", "link", "show", "dev", a.IfName()); !strings.Contains(out, "xdp") {
		t.Fatalf("no XDP program while the child runs:\n%s", out)
	}
	// ip netns exec execs the test binary, so this is the attaching process.
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	var out string
	gone := false
	for i := 0; i < 50 && !gone; i++ {
		out, _ = a.Exec("ip", "link", "show", "dev", a.IfName())
		gone = !strings.Contains(out, "xdp")
		if !gone {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !gone {
		t.Fatalf("XDP program left on the interface after SIGKILL:\n%s", out)
	}
	// Kernel UDP to the same endpoint flows again.
	var conn *net.UDPConn
	inNS(t, a, func() error {
		var err error
		conn, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(local))
		return err
	})
	defer conn.Close()
	inNS(t, b, func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(local))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("kernel again"))
		return err
	})
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "kernel again" {
		t.Fatalf("kernel UDP after the crash: %v %q", err, buf[:n])
	}
}
