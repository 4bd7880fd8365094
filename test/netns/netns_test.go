package netns

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestTwoHosts(t *testing.T) {
	n := New(t, Options{MTU: 9000})
	a, b := n.Hosts[0], n.Hosts[1]
	if a.Addr().String() != "198.18.0.1" || b.Addr().String() != "198.18.0.2" {
		t.Fatalf("addresses %s %s", a.Addr(), b.Addr())
	}
	out, err := a.Exec("ip", "-o", "link", "show", a.IfName())
	if err != nil || !strings.Contains(out, "mtu 9000") || !strings.Contains(out, "UP") {
		t.Fatalf("link: %s %v", out, err)
	}
	// A UDP datagram from a socket made in A reaches a socket made in B.
	var rx *net.UDPConn
	if err := b.Run(func() (err error) {
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 40001})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := a.Run(func() error {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 40001})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("hello"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	k, src, err := rx.ReadFromUDP(buf)
	if err != nil || string(buf[:k]) != "hello" || !src.IP.Equal(a.Addr().AsSlice()) {
		t.Fatalf("got %q from %v: %v", buf[:k], src, err)
	}
}

func TestChainForwards(t *testing.T) {
	n := New(t, Options{Hosts: 3})
	a, b := n.Hosts[0], n.Hosts[2]
	if b.Addr().String() != "198.19.0.2" {
		t.Fatalf("far host address %s", b.Addr())
	}
	var rx *net.UDPConn
	if err := b.Run(func() (err error) {
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 40002})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := a.Run(func() error {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: b.Addr().AsSlice(), Port: 40002})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("routed"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = rx.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	k, err := rx.Read(buf)
	if err != nil || string(buf[:k]) != "routed" {
		t.Fatalf("got %q: %v", buf[:k], err)
	}
}

func TestTeardown(t *testing.T) {
	var names []string
	t.Run("inner", func(t *testing.T) {
		n := New(t, Options{})
		for _, h := range n.Hosts {
			names = append(names, h.Name)
		}
		// A process left running in a namespace must not keep it alive.
		cmd := n.Hosts[0].Command(t.Context(), "sleep", "30")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = cmd.Wait() }()
	})
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Contains(string(out), name) {
			t.Fatalf("namespace %s survived its test", name)
		}
	}
}
