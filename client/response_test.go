package client

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend/backendtest"
	"github.com/aeron-bypass/aeron-bypass/driver/shm"
)

// TestResponseChannels runs Aeron's request/response pattern through our
// driver: each client subscribes with control-mode=response, names that
// subscription in its request publication's response-correlation-id; the
// server answers each request image on a response publication naming the
// image, and each client hears only its own answers.
func TestResponseChannels(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	const reqStream, rspStream = 1040, 1041
	requests := "aeron:udp?endpoint=127.0.0.1:40140"
	control := "127.0.0.1:40141"

	// The server: a response publication per request image.
	images := make(chan *Image, 4)
	// Aeron's ResponseServer names its response address on the request
	// subscription (response-endpoint, informational) and keeps a
	// prototype response publication open between clients.
	reqSub, err := c.AddSubscription(ctxT(t), requests+"|response-endpoint="+control, reqStream, WithImageHandlers(func(img *Image) { images <- img }, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddPublication(ctxT(t), "aeron:udp?control-mode=response|control="+control+"|response-correlation-id=prototype", rspStream); err != nil {
		t.Fatalf("prototype response publication: %v", err)
	}
	responders := map[int32]*Publication{}

	type client struct {
		name string
		sub  *Subscription
		pub  *Publication
		got  []string
	}
	var clients []*client
	for _, name := range []string{"a", "b"} {
		sub, err := c.AddSubscription(ctxT(t), "aeron:udp?control-mode=response|control="+control, rspStream)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := c.AddPublication(ctxT(t), fmt.Sprintf("%s|response-correlation-id=%d", requests, sub.RegistrationID()), reqStream)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, &client{name: name, sub: sub, pub: pub})
	}
	if _, err := c.AddPublication(ctxT(t), requests+"|response-correlation-id=999999", reqStream); err == nil ||
		!strings.Contains(err.Error(), "unable to find response subscription") {
		t.Fatalf("request naming no subscription: %v", err)
	}
	for len(responders) < len(clients) {
		select {
		case img := <-images:
			pub, err := c.AddPublication(ctxT(t), fmt.Sprintf("aeron:udp?control-mode=response|control=%s|response-correlation-id=%d", control, img.CorrelationID()), rspStream)
			if err != nil {
				t.Fatal(err)
			}
			responders[img.SessionID()] = pub
		case <-time.After(10 * time.Second):
			t.Fatalf("server saw %d request images, want %d", len(responders), len(clients))
		}
	}
	waitFor(t, 10*time.Second, "responses connected", func() bool {
		for _, cl := range clients {
			if !cl.pub.IsConnected() || cl.sub.ImageCount() != 1 {
				return false
			}
		}
		for _, p := range responders {
			if !p.IsConnected() {
				return false
			}
		}
		return true
	})
	if _, err := c.AddPublication(ctxT(t), fmt.Sprintf("aeron:udp?control-mode=response|control=%s|response-correlation-id=424242", control), rspStream); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Fatalf("response naming no image: %v", err)
	}

	const count = 100
	serve := FragmentHandler(func(buf shm.AtomicBuffer, offset, length int, h *Header) {
		msg := append([]byte("re: "), buf.Bytes()[offset:offset+length]...)
		p := responders[h.SessionID()]
		for i := 0; p.Offer(msg) < 0 && i < 1e6; i++ {
		}
	})
	for i := 0; i < count; i++ {
		for _, cl := range clients {
			msg := []byte(fmt.Sprintf("%s %d", cl.name, i))
			waitFor(t, 5*time.Second, "request offered", func() bool { return cl.pub.Offer(msg) > 0 })
		}
		reqSub.Poll(serve, 10)
	}
	waitFor(t, 20*time.Second, "every response", func() bool {
		reqSub.Poll(serve, 10)
		done := true
		for _, cl := range clients {
			cl.sub.Poll(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
				cl.got = append(cl.got, string(buf.Bytes()[offset:offset+length]))
			}, 10)
			done = done && len(cl.got) >= count
		}
		return done
	})
	for _, cl := range clients {
		for i, m := range cl.got {
			if want := fmt.Sprintf("re: %s %d", cl.name, i); m != want {
				t.Fatalf("client %s response %d: %q, want %q", cl.name, i, m, want)
			}
		}
		if len(cl.got) != count {
			t.Fatalf("client %s: %d responses, want %d", cl.name, len(cl.got), count)
		}
	}
}

// TestIPCResponseChannels: the same pattern over aeron:ipc, where the
// response publication names the request publication and the requester's
// response subscription links to that one publication only.
func TestIPCResponseChannels(t *testing.T) {
	e := launchOverMemory(t, backendtest.Options{})
	c := connect(t, e.Dir(), nil)
	const reqStream, rspStream = 1050, 1051
	images := make(chan *Image, 4)
	if _, err := c.AddSubscription(ctxT(t), "aeron:ipc", reqStream, WithImageHandlers(func(img *Image) { images <- img }, nil)); err != nil {
		t.Fatal(err)
	}
	var subs []*Subscription
	var reqs []*Publication
	for range 2 {
		sub, err := c.AddSubscription(ctxT(t), "aeron:ipc?control-mode=response", rspStream)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := c.AddPublication(ctxT(t), fmt.Sprintf("aeron:ipc?response-correlation-id=%d", sub.RegistrationID()), reqStream)
		if err != nil {
			t.Fatal(err)
		}
		subs, reqs = append(subs, sub), append(reqs, pub)
	}
	if reqs[0].SessionID() == reqs[1].SessionID() {
		t.Fatal("two requesters share one request publication")
	}
	rsps := map[int32]*Publication{} // by request session
	for len(rsps) < 2 {
		select {
		case img := <-images:
			pub, err := c.AddPublication(ctxT(t), fmt.Sprintf("aeron:ipc?control-mode=response|response-correlation-id=%d", img.CorrelationID()), rspStream)
			if err != nil {
				t.Fatal(err)
			}
			rsps[img.SessionID()] = pub
		case <-time.After(10 * time.Second):
			t.Fatalf("%d request images, want 2", len(rsps))
		}
	}
	for i, sub := range subs {
		rsp := rsps[reqs[i].SessionID()]
		waitFor(t, 10*time.Second, "response image", func() bool { return sub.ImageCount() == 1 })
		if got := sub.Images()[0].SessionID(); got != rsp.SessionID() {
			t.Fatalf("requester %d linked to session %d, want its response %d", i, got, rsp.SessionID())
		}
		msg := []byte(fmt.Sprintf("for %d", i))
		waitFor(t, 5*time.Second, "response offered", func() bool { return rsp.Offer(msg) > 0 })
	}
	for i, sub := range subs {
		var got []string
		waitFor(t, 5*time.Second, "response", func() bool {
			sub.Poll(func(buf shm.AtomicBuffer, offset, length int, _ *Header) {
				got = append(got, string(buf.Bytes()[offset:offset+length]))
			}, 10)
			return len(got) > 0
		})
		if want := fmt.Sprintf("for %d", i); len(got) != 1 || got[0] != want {
			t.Fatalf("requester %d got %q, want %q", i, got, want)
		}
	}
}
