package interop

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
	"github.com/aeron-bypass/aeron-bypass/test/netns"
)

// TestMultiDestinationSubscription subscribes with
// aeron:udp?control-mode=manual on one host and adds two receive
// destinations (two UDP endpoints of that host) with ADD_RCV_DESTINATION;
// publishers on the other host feed it.
//
// mdc-publisher: one manual multi-destination-cast publication sends to
// both endpoints, so every datagram of its one session arrives twice. The
// subscriber must see one image that reports both destinations in use
// (activeTransportCount 2) and delivers every message once, in order; after
// half the messages it removes one destination (REMOVE_RCV_DESTINATION),
// and the image must stay, lose nothing and drop to one transport.
//
// two-publishers: an ordinary publication per endpoint, two sessions: two
// images, one transport each, every message of each.
//
// dynamic-mdc-destination: one destination names a control address and is
// fed by a dynamic multi-destination-cast publication, the other by an
// ordinary one: two images, every message of each.
//
// The pairs are (publisher side, subscriber side). With {javaDriver,
// javaDriver} in their place the test checks the Java programs against
// Aeron alone.
func TestMultiDestinationSubscription(t *testing.T) {
	const messages = 2000
	acrossPairs(t, "", nil, nil, func(t *testing.T, a, b *netns.Host, pubD, subD *netDriver) {
		endpoint := func(port int) string { return fmt.Sprintf("aeron:udp?endpoint=%s:%d", b.Addr(), port) }

		t.Run("mdc-publisher", func(t *testing.T) {
			d1, d2 := endpoint(40470), endpoint(40471)
			r := runMds(t, mdsCase{
				pubD: pubD, subD: subD, stream: 1201, messages: messages,
				images: 1, transports: 2, removeAt: messages / 2,
				destinations: []string{d1, d2},
				publishers: []mdsPublisher{{
					name:         "M",
					channel:      "aeron:udp?control-mode=manual|term-length=64k",
					destinations: []string{d1, d2},
				}},
			})
			r.checkImages(a.Addr())
			removed := starting(r.sub.Output(), "REMOVED ")
			if len(removed) != 1 || !strings.Contains(removed[0], "destination="+d2+" ") {
				r.fail("subscriber (%s): no REMOVED line for %s", r.subSide, d2)
			}
			if at, _ := strconv.Atoi(field(r.sub.Output(), "REMOVED", "at")); at < messages/2 || at >= messages {
				r.fail("subscriber (%s) removed %s after %d messages, not mid-stream", r.subSide, d2, at)
			}
			r.log(t)
		})

		t.Run("two-publishers", func(t *testing.T) {
			d1, d2 := endpoint(40472), endpoint(40473)
			r := runMds(t, mdsCase{
				pubD: pubD, subD: subD, stream: 1202, messages: messages,
				images: 2, transports: 1,
				destinations: []string{d1, d2},
				publishers: []mdsPublisher{
					{name: "A", channel: d1 + "|term-length=64k"},
					{name: "B", channel: d2 + "|term-length=64k"},
				},
			})
			r.checkImages(a.Addr())
			r.log(t)
		})

		// A destination with its own control address takes a dynamic
		// multi-destination-cast publication: the subscriber's driver
		// sends status messages to the publisher's control endpoint
		// from that destination's socket, and the publisher adds the
		// destination. A plain unicast publisher feeds the other.
		t.Run("dynamic-mdc-destination", func(t *testing.T) {
			control := fmt.Sprintf("%s:40480", a.Addr())
			d1, d2 := endpoint(40474)+"|control="+control, endpoint(40475)
			r := runMds(t, mdsCase{
				pubD: pubD, subD: subD, stream: 1203, messages: messages,
				images: 2, transports: 1,
				destinations: []string{d1, d2},
				publishers: []mdsPublisher{
					{name: "D", channel: "aeron:udp?control-mode=dynamic|control=" + control + "|term-length=64k"},
					{name: "U", channel: d2 + "|term-length=64k"},
				},
			})
			r.checkImages(a.Addr())
			r.log(t)
		})
	})
}

// mdsPublisher is one Mds publisher: its name (carried in every message),
// channel and, for multi-destination-cast, its destinations.
type mdsPublisher struct {
	name, channel string
	destinations  []string
}

// mdsCase is one run of the Mds programs: a subscriber on subD with the
// given destinations and the publishers on pubD.
type mdsCase struct {
	pubD, subD   *netDriver
	stream       int
	messages     int
	images       int
	transports   int
	removeAt     int
	destinations []string
	publishers   []mdsPublisher
}

// mdsResult is a finished run, with what its checks need to report.
type mdsResult struct {
	t                   *testing.T
	c                   mdsCase
	sub                 *aeronjava.Process
	pubs                []*aeronjava.Process
	subSide, pubSide    string
	elapsed             time.Duration
	subBefore, subAfter map[string]int64
	pubBefore, pubAfter map[string]int64
}

const (
	// mdsSpread paces each publisher, so a removal at half the messages
	// happens while they are still sending.
	mdsSpread = 1500 * time.Millisecond
	// mdsTimeout bounds each Java program; the test waits a little longer
	// so their own TIMEOUT line, which says what was missing, fails it.
	mdsTimeout = 20 * time.Second
)

// runMds starts the subscriber, then the publishers once it has added its
// destinations, and waits for all of them to succeed.
func runMds(t *testing.T, c mdsCase) *mdsResult {
	t.Helper()
	r := &mdsResult{
		t: t, c: c,
		subSide: fmt.Sprintf("subscriber-side %s driver on %s", c.subD.kind, c.subD.host.Name),
		pubSide: fmt.Sprintf("publisher-side %s driver on %s", c.pubD.kind, c.pubD.host.Name),
	}
	r.subBefore = aeronjava.SystemCounters(t, c.subD.dir)
	r.pubBefore = aeronjava.SystemCounters(t, c.pubD.dir)
	start := time.Now()
	args := []string{"sub", fmt.Sprint(c.stream), fmt.Sprint(c.messages), fmt.Sprint(c.images),
		fmt.Sprint(c.transports), fmt.Sprint(c.removeAt), secs(mdsTimeout)}
	r.sub = startJavaIn(t, c.subD, "Mds", append(args, c.destinations...)...)

	// A driver that refuses the subscription or a destination ends the
	// subscriber before READY, with the driver's reason in its FAIL line.
	deadline := time.Now().Add(mdsTimeout)
	for !strings.Contains(r.sub.Output(), "READY ") {
		if r.sub.Exited() {
			code, _ := exitCode(r.sub, 0)
			r.fail("subscriber (%s) exited %d before it was ready: %s", r.subSide, code, verdict(r.sub.Output()))
		}
		if time.Now().After(deadline) {
			r.fail("subscriber (%s) not ready after %v", r.subSide, mdsTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}

	for _, p := range c.publishers {
		args := []string{"pub", p.name, p.channel, fmt.Sprint(c.stream), fmt.Sprint(c.messages),
			fmt.Sprint(mdsSpread.Milliseconds()), secs(mdsTimeout)}
		r.pubs = append(r.pubs, startJavaIn(t, c.pubD, "Mds", append(args, p.destinations...)...))
	}

	// A publisher that failed leaves the subscriber waiting for its own
	// timeout; report the publisher at once instead.
	deadline = time.Now().Add(mdsTimeout + 10*time.Second)
	for !r.sub.Exited() && time.Now().Before(deadline) {
		for i, p := range r.pubs {
			if code, ok := exitCode(p, 0); ok && code != 0 {
				r.fail("publisher %s (%s) exited %d: %s", c.publishers[i].name, r.pubSide, code, verdict(p.Output()))
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, ok := exitCode(r.sub, 0)
	if !ok {
		r.fail("subscriber (%s) still running after %v", r.subSide, mdsTimeout+10*time.Second)
	}
	if code != 0 {
		r.fail("subscriber (%s) exited %d: %s", r.subSide, code, verdict(r.sub.Output()))
	}
	want := fmt.Sprintf("RESULT images=%d messages=%d ", c.images, c.messages)
	if len(lines(r.sub.Output(), want)) != 1 {
		r.fail("subscriber (%s): no %q line", r.subSide, want)
	}
	for i, p := range r.pubs {
		code, ok := exitCode(p, 10*time.Second)
		if !ok || code != 0 {
			r.fail("publisher %s (%s) did not finish (exit %d, running %v): %s", c.publishers[i].name, r.pubSide,
				code, !ok, verdict(p.Output()))
		}
	}
	r.elapsed = time.Since(start)
	r.subAfter = aeronjava.SystemCounters(t, c.subD.dir)
	r.pubAfter = aeronjava.SystemCounters(t, c.pubD.dir)
	return r
}

// fail ends the test with every program's output and both drivers'
// counters.
func (r *mdsResult) fail(format string, args ...any) {
	r.t.Helper()
	aeronjava.LogCounters(r.t, r.subSide, r.c.subD.dir)
	aeronjava.LogCounters(r.t, r.pubSide, r.c.pubD.dir)
	var b strings.Builder
	fmt.Fprintf(&b, format, args...)
	fmt.Fprintf(&b, "\n--- subscriber (%s):\n%s", r.subSide, r.sub.Output())
	for i, p := range r.pubs {
		fmt.Fprintf(&b, "\n--- publisher %s (%s):\n%s", r.c.publishers[i].name, r.pubSide, p.Output())
	}
	r.t.Fatal(b.String())
}

// images are the subscriber's IMAGE lines, in the order of the publishers
// whose sessions they carry (unknown sessions last).
func (r *mdsResult) images() []string {
	all := starting(r.sub.Output(), "IMAGE ")
	var out []string
	for _, p := range r.pubs {
		s := field(p.Output(), "STARTED", "session")
		for _, l := range all {
			if strings.HasPrefix(l, "IMAGE session="+s+" ") {
				out = append(out, l)
			}
		}
	}
	for _, l := range all {
		known := false
		for _, o := range out {
			known = known || o == l
		}
		if !known {
			out = append(out, l)
		}
	}
	return out
}

// checkImages checks the subscriber reported one image per publisher,
// each carrying that publisher's session from host from.
func (r *mdsResult) checkImages(from netip.Addr) {
	r.t.Helper()
	img := r.images()
	if len(img) != len(r.c.publishers) {
		r.fail("subscriber (%s) reported %d images, want %d", r.subSide, len(img), len(r.c.publishers))
	}
	for i, p := range r.c.publishers {
		r.checkImage(img[i], p.name, from)
	}
}

// checkImage checks an IMAGE line carries the named publisher's session and
// comes from the publisher host.
func (r *mdsResult) checkImage(line, publisher string, from netip.Addr) {
	r.t.Helper()
	for i, p := range r.c.publishers {
		if p.name != publisher {
			continue
		}
		if s := field(r.pubs[i].Output(), "STARTED", "session"); !strings.HasPrefix(line, "IMAGE session="+s+" ") {
			r.fail("subscriber (%s): image %q is not of publisher %s's session %s", r.subSide, line, publisher, s)
		}
	}
	if !strings.Contains(line, " source="+from.String()+":") {
		r.fail("subscriber (%s): image %q not from the publisher host %s", r.subSide, line, from)
	}
}

// log reports the run's timings and the status messages and NAKs each side
// counted during it.
func (r *mdsResult) log(t *testing.T) {
	t.Helper()
	delta := func(before, after map[string]int64, k string) int64 { return after[k] - before[k] }
	t.Logf("%d image(s) x %d messages in %v (subscriber's first to last message %s ms); "+
		"subscriber side sent %d status messages and %d NAKs, publisher side received %d and %d; "+
		"removed at %s, transports dropped at %s",
		r.c.images, r.c.messages, r.elapsed.Round(time.Millisecond), field(r.sub.Output(), "RESULT", "elapsed-ms"),
		delta(r.subBefore, r.subAfter, "Status Messages sent"), delta(r.subBefore, r.subAfter, "NAKs sent"),
		delta(r.pubBefore, r.pubAfter, "Status Messages received"), delta(r.pubBefore, r.pubAfter, "NAKs received"),
		field(r.sub.Output(), "RESULT", "removed-at"), field(r.sub.Output(), "RESULT", "transports-dropped-at"))
}
