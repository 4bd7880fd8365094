package client

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// In invoker mode the application's own DoWork calls run the conductor:
// adds still complete (await drives it) and images arrive through DoWork.
func TestInvokerMode(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, func(cfg *Config) { cfg.UseInvoker = true })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sub, err := c.AddSubscription(ctx, "aeron:ipc", 1040)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := c.AddPublication(ctx, "aeron:ipc", 1040)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "image via DoWork", func() bool {
			if _, err := c.DoWork(); err != nil {
				t.Fatalf("do work: %v", err)
			}
			return sub.IsConnected() && pub.IsConnected()
		})
		offer(t, pub, []byte("invoked"), nil)
		var got string
		waitFor(t, 5*time.Second, "message", func() bool {
			sub.Poll(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
				got = string(buf.Bytes()[offset : offset+length])
			}, 1)
			return got != ""
		})
		if got != "invoked" {
			t.Fatalf("got %q", got)
		}
	})
}

// The client does not care about the media: the same exchange over UDP on
// loopback through the driver's sender and receiver.
func TestUDPLoopback(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		channel := "aeron:udp?endpoint=" + freeUDPPort(t).String()
		sub, err := c.AddSubscription(ctx, channel, 1050)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := c.AddPublication(ctx, channel, 1050)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "UDP connection", func() bool { return sub.IsConnected() && pub.IsConnected() })
		big := make([]byte, 3*pub.MaxPayloadLength()+5)
		for i := range big {
			big[i] = byte(i * 13)
		}
		var got []byte
		asm := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
			got = append([]byte(nil), buf.Bytes()[offset:offset+length]...)
		}, 0)
		offer(t, pub, big, nil)
		waitFor(t, 10*time.Second, "fragmented message over UDP", func() bool {
			sub.Poll(asm.Handler(), 10)
			return got != nil
		})
		if string(got) != string(big) {
			t.Fatalf("got %d bytes, want %d identical", len(got), len(big))
		}
		if img := sub.Images()[0]; img.SourceIdentity() == "" {
			t.Fatal("no source identity for a UDP image")
		}
	})
}

// freeUDPPort returns a loopback UDP address no socket holds now.
func freeUDPPort(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}
