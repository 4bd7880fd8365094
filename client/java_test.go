package client

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

func sampleProps(dir string) map[string]string {
	return map[string]string{
		"aeron.dir":             dir,
		"aeron.sample.channel":  "aeron:ipc",
		"aeron.sample.streamId": "1001",
		"aeron.sample.messages": "3",
	}
}

// A Go publisher reaches Aeron's Java BasicSubscriber sample.
func TestGoPublisherToJavaSubscriber(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		jar := aeronjava.Jar(t)
		sub := aeronjava.Start(t, nil, "java", append(aeronjava.JavaArgs(jar, sampleProps(dir)), "io.aeron.samples.BasicSubscriber")...)
		waitFor(t, 30*time.Second, "Java subscriber started", func() bool { return strings.Contains(sub.Output(), "Subscribing to") })
		c := connect(t, dir, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pub, err := c.AddPublication(ctx, "aeron:ipc", 1001)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "Java subscriber connected", pub.IsConnected)
		for i := range 3 {
			offer(t, pub, fmt.Appendf(nil, "Hello from Go %d", i), nil)
		}
		// Wait for whole lines: the sample may be caught mid-print.
		waitFor(t, 20*time.Second, "3 messages at the Java subscriber", func() bool {
			return strings.Count(sub.Output(), ">>") >= 3 && strings.Contains(sub.Output(), "<<Hello from Go 2>>")
		})
		for i := range 3 {
			if want := fmt.Sprintf("<<Hello from Go %d>>", i); !strings.Contains(sub.Output(), want) {
				t.Fatalf("Java subscriber did not print %s:\n%s", want, sub.Output())
			}
		}
	})
}

// Aeron's Java BasicPublisher sample reaches a Go subscriber.
func TestJavaPublisherToGoSubscriber(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d testDriver) {
		dir, _ := d.start(t)
		c := connect(t, dir, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sub, err := c.AddSubscription(ctx, "aeron:ipc", 1001)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got []string
		stop := make(chan struct{})
		done := make(chan struct{})
		asm := NewFragmentAssembler(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
			mu.Lock()
			got = append(got, string(buf.Bytes()[offset:offset+length]))
			mu.Unlock()
		}, 0)
		go func() {
			defer close(done)
			for i := 0; i < 600_000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if sub.Poll(asm.Handler(), 10) == 0 {
					time.Sleep(100 * time.Microsecond)
				}
			}
		}()
		defer func() { close(stop); <-done }()
		out := aeronjava.Run(t, aeronjava.Jar(t), sampleProps(dir), 60*time.Second, "io.aeron.samples.BasicPublisher")
		offered := aeronjava.Offered(out)
		if len(offered) < 2 {
			t.Fatalf("Java publisher offered %v of 3:\n%s", offered, out)
		}
		waitFor(t, 10*time.Second, "the messages from Java", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) >= len(offered)
		})
		mu.Lock()
		defer mu.Unlock()
		if len(got) != len(offered) {
			t.Fatalf("received %q, offered %v", got, offered)
		}
		for i, m := range got {
			if want := fmt.Sprintf("Hello World! %d", offered[i]); m != want {
				t.Fatalf("message %d: %q, want %q", i, m, want)
			}
		}
	})
}
