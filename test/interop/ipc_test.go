package interop

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/broadcast"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// exchange runs a MixedSizes subscriber and publisher as two processes and
// checks every message arrived once, in order, intact.
func exchange(t *testing.T, dir, channel string, stream, count, maxLength int) {
	t.Helper()
	props := javaProps(dir)
	args := []string{channel, itoa(int64(stream)), itoa(int64(count)), "42", itoa(int64(maxLength)), "60"}
	sub := startJava(t, props, "MixedSizes", append([]string{"sub"}, args...)...)
	sub.WaitOutput(t, "READY", 30*time.Second)
	pub := startJava(t, props, "MixedSizes", append([]string{"pub"}, args...)...)
	// Whichever ends first decides: a subscriber that found a bad message
	// fails the test at once instead of after the publisher's timeout.
	deadline := time.Now().Add(90 * time.Second)
	for !pub.Exited() && !sub.Exited() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if sub.Exited() && !strings.Contains(sub.Output(), "RECEIVED "+itoa(int64(count))) {
		t.Fatalf("subscriber failed:\n%s\npublisher:\n%s", sub.Output(), pub.Output())
	}
	if code := pub.ExitCode(t, 90*time.Second); code != 0 {
		t.Fatalf("publisher exit %d:\n%s", code, pub.Output())
	}
	if code := sub.ExitCode(t, 90*time.Second); code != 0 || !strings.Contains(sub.Output(), "RECEIVED "+itoa(int64(count))) {
		t.Fatalf("subscriber exit %d:\n%s", code, sub.Output())
	}
}

// Thousands of messages from 0 bytes to several MTUs, on a 64 KiB term that
// rotates many times: all delivered once, in order, intact.
func TestMixedSizesOverIPC(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, _ := startDriver(t, kind, settings{})
			exchange(t, dir, "aeron:ipc?term-length=64k", 1001, 3000, 5000)
		})
	}
}

// Aeron's BasicPublisher and BasicSubscriber samples, the README's demo.
func TestBasicSamples(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, _ := startDriver(t, kind, settings{})
			props := javaProps(dir, "aeron.sample.channel", "aeron:ipc", "aeron.sample.messages", "5")
			jar := aeronjava.Jar(t)
			sub := aeronjava.Start(t, nil, "java", append(aeronjava.JavaArgs(jar, props), "io.aeron.samples.BasicSubscriber")...)
			// The subscriber prints this before it connects, and the
			// publisher offers without waiting for it: the first offers
			// may find no subscriber, so what counts is that every
			// message the publisher reports offered arrives, once, in
			// order.
			sub.WaitOutput(t, "Subscribing to", 30*time.Second)
			out := aeronjava.Run(t, jar, props, 60*time.Second, "io.aeron.samples.BasicPublisher")
			offered := aeronjava.Offered(out)
			if len(offered) < 2 {
				t.Fatalf("publisher offered %v of 5:\n%s", offered, out)
			}
			deadline := time.Now().Add(20 * time.Second)
			for len(lines(sub.Output(), "Hello World!")) < len(offered) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			got := lines(sub.Output(), "Hello World!")
			if len(got) != len(offered) {
				t.Fatalf("subscriber got %d, offered %v:\n%s", len(got), offered, sub.Output())
			}
			for i, n := range offered {
				if want := fmt.Sprintf("<<Hello World! %d>>", n); !strings.Contains(got[i], want) {
					t.Fatalf("message %d: %q, want %s", i, got[i], want)
				}
			}
			sub.WaitOutput(t, "Unavailable image", 30*time.Second)
		})
	}
}

// Aeron's AeronStat reads our counters: the system counters and the
// positions of a stream.
func TestAeronStat(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, _ := startDriver(t, kind, settings{})
			hold := startJava(t, javaProps(dir), "HoldStream", "aeron:ipc", "3001", "60")
			hold.WaitOutput(t, "HOLDING", 30*time.Second)
			stat := aeronjava.Start(t, nil, "java", append(aeronjava.JavaArgs(aeronjava.Jar(t), javaProps(dir)), "io.aeron.samples.AeronStat")...)
			deadline := time.Now().Add(30 * time.Second)
			want := []string{"Bytes sent", "Client liveness timeouts", "pub-pos", "pub-lmt: ", "sub-pos: ", "client-heartbeat"}
			for time.Now().Before(deadline) {
				ok := true
				for _, w := range want {
					ok = ok && strings.Contains(stat.Output(), w)
				}
				if ok {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("AeronStat output lacks one of %q:\n%s", want, stat.Output())
		})
	}
}

// A client killed with SIGKILL loses its publication and subscription after
// the liveness timeout, and another client's stream carries on.
func TestKilledClientIsCleanedUp(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, _ := startDriver(t, kind, settings{clientLiveness: 2 * time.Second})
			hold := startJava(t, javaProps(dir), "HoldStream", "aeron:ipc", "4001", "120")
			hold.WaitOutput(t, "HOLDING", 30*time.Second)
			has := func() bool {
				for _, l := range aeronjava.CounterLabels(t, dir) {
					if strings.Contains(l, " 4001 aeron:ipc") {
						return true
					}
				}
				return false
			}
			if !has() {
				t.Fatalf("no counters for stream 4001: %q", aeronjava.CounterLabels(t, dir))
			}
			hold.Kill()
			// Another client keeps working while the dead one times out.
			exchange(t, dir, "aeron:ipc?term-length=64k", 4002, 300, 3000)
			deadline := time.Now().Add(20 * time.Second)
			for has() && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			if has() {
				t.Fatalf("stream 4001 counters still allocated after the client died: %q", aeronjava.CounterLabels(t, dir))
			}
		})
	}
}

// A Java client whose driver is killed reports a driver timeout instead of
// hanging.
func TestKilledDriverIsReported(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, driver := startDriver(t, kind, settings{})
			hold := startJava(t, javaProps(dir, "aeron.driver.timeout", "2000"), "HoldStream", "aeron:ipc", "5001", "120")
			hold.WaitOutput(t, "HOLDING", 30*time.Second)
			driver.Kill()
			if code := hold.ExitCode(t, 30*time.Second); code != 4 || !strings.Contains(hold.Output(), "DRIVER_TIMEOUT") {
				t.Fatalf("client exit %d, want a driver timeout:\n%s", code, hold.Output())
			}
		})
	}
}

// A malformed command written into the ring buffer is answered with an
// error, and the driver keeps serving clients.
func TestMalformedCommandAnswered(t *testing.T) {
	for _, kind := range drivers {
		t.Run(string(kind), func(t *testing.T) {
			dir, _ := startDriver(t, kind, settings{})
			malformedCommand(t, kind, dir)
		})
	}
}

func malformedCommand(t *testing.T, kind driverKind, dir string) {
	f, err := cnc.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ring, err := ringbuffer.New(f.ToDriver())
	if err != nil {
		t.Fatal(err)
	}
	rx, err := broadcast.NewReceiver(f.ToClients())
	if err != nil {
		t.Fatal(err)
	}
	copier := broadcast.NewCopyReceiver(rx)
	clientID, correlationID := ring.NextCorrelationID(), ring.NextCorrelationID()
	// Aeron's Java driver checks the length before it reads the correlation
	// id (ClientCommandAdapter), so it names 0; ours reads the id first and
	// names the command, which is what a client can act on.
	offending := correlationID
	if kind == javaDriver {
		offending = 0
	}
	// ADD_PUBLICATION whose channel length claims more than the record has.
	msg := make([]byte, 26)
	binary.LittleEndian.PutUint64(msg[0:], uint64(clientID))
	binary.LittleEndian.PutUint64(msg[8:], uint64(correlationID))
	binary.LittleEndian.PutUint32(msg[16:], 1001)
	binary.LittleEndian.PutUint32(msg[20:], 100)
	if !ring.Write(command.AddPublication, msg) {
		t.Fatal("ring buffer write failed")
	}
	deadline := time.Now().Add(10 * time.Second)
	var got *command.ErrorResponse
	var seen []string
	for got == nil && time.Now().Before(deadline) {
		if _, err := copier.Receive(func(typ int32, b []byte) {
			if typ != command.OnError {
				seen = append(seen, fmt.Sprintf("type %#x", typ))
				return
			}
			e, err := command.DecodeError(b)
			seen = append(seen, fmt.Sprintf("error %+v (%v) %q", e, err, e.Message))
			if err == nil && e.OffendingCorrelationID == offending {
				got = &e
			}
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if got == nil || got.Code != command.ErrMalformedCommand {
		t.Fatalf("no MALFORMED_COMMAND error for correlation %d: %+v; responses seen: %q", offending, got, seen)
	}
	t.Logf("answered: correlation %d, %s, %q", got.OffendingCorrelationID, got.Code, got.Message)
	exchange(t, dir, "aeron:ipc", 6001, 200, 2000)
}
