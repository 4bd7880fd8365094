package command

import (
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestMatchesAeronFlyweights encodes one of each message with Aeron's own
// Java flyweights and with our encoders, from the same values, and requires
// identical bytes; our decoders must read Aeron's bytes back.
func TestMatchesAeronFlyweights(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	classpath := aeronjava.Compile(t, filepath.Join("testdata", "java"))
	out := aeronjava.Run(t, classpath, nil, 60*time.Second, "EncodeCommands")
	javaBytes := map[string][]byte{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, hx, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("line %q", line)
		}
		b, err := hex.DecodeString(hx)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		javaBytes[name] = b
	}

	const cid = 0x0102030405060708
	buf := make([]byte, 512)
	enc := func(name string, n int, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, ok := javaBytes[name]
		if !ok {
			t.Fatalf("%s: no Java encoding", name)
		}
		if string(buf[:n]) != string(want) {
			t.Errorf("%s:\n ours % x\naeron % x", name, buf[:n], want)
		}
	}
	n, err := EncodeAddPublication(buf, cid, 5, 10, "aeron:udp?endpoint=localhost:40123")
	enc("publication", n, err)
	n, err = EncodeAddSubscription(buf, cid, 5, 10, "aeron:ipc")
	enc("subscription", n, err)
	n, err = EncodeAddCounter(buf, cid, 5, 1001, []byte{1, 2, 3}, "my label")
	enc("counter", n, err)
	n, err = EncodeAddStaticCounter(buf, cid, 5, 77, 1002, []byte{1, 2, 3, 4, 5}, "static")
	enc("static-counter", n, err)
	n, err = EncodeRemovePublication(buf, cid, 5, 3, RemovePublicationFlagRevoke)
	enc("remove-publication", n, err)
	n, err = EncodeDestination(buf, cid, 5, 9, "aeron:udp?endpoint=a:1")
	enc("destination", n, err)
	n, err = EncodeDestinationByID(buf, cid, 5, 4, 8)
	enc("destination-by-id", n, err)
	n, err = EncodeRejectImage(buf, cid, 5, 6, 4096, "bad")
	enc("reject-image", n, err)
	n, err = EncodeTerminateDriver(buf, cid, 5, []byte("tok"))
	enc("terminate", n, err)
	n, err = EncodeGetNextAvailableSessionID(buf, cid, 5, 10)
	enc("next-session-id", n, err)
	n, err = EncodeError(buf, 5, ErrInvalidChannel, "bad channel")
	enc("error", n, err)
	n, err = EncodePublicationReady(buf, 5, 4, -7, 10, 3, -1, "/dev/shm/aeron/publications/4.logbuffer")
	enc("publication-ready", n, err)
	n, err = EncodeAvailableImage(buf, 5, -7, 10, 9, 3, "/dev/shm/a/images/5.logbuffer", "127.0.0.1:40123")
	enc("available-image", n, err)
	n, err = EncodeUnavailableImage(buf, 5, 9, 10, "aeron:ipc")
	enc("unavailable-image", n, err)
	n, err = EncodeSubscriptionReady(buf, 5, 2)
	enc("subscription-ready", n, err)
	n, err = EncodeCounterUpdate(buf, 5, 3)
	enc("counter-ready", n, err)

	// Our decoders on Aeron's bytes.
	if m, err := DecodeCounter(javaBytes["counter"]); err != nil || m.TypeID != 1001 || string(m.Key) != "\x01\x02\x03" || string(m.Label) != "my label" {
		t.Errorf("counter from Aeron: %+v %v", m, err)
	}
	if m, err := DecodeAvailableImage(javaBytes["available-image"]); err != nil || string(m.LogFileName) != "/dev/shm/a/images/5.logbuffer" ||
		string(m.SourceIdentity) != "127.0.0.1:40123" || m.SessionID != -7 || m.SubscriberPositionID != 3 {
		t.Errorf("image from Aeron: %+v %v", m, err)
	}
	if m, err := DecodeRemovePublication(javaBytes["remove-publication"]); err != nil || m.RegistrationID != 3 || m.Flags != RemovePublicationFlagRevoke {
		t.Errorf("remove publication from Aeron: %+v %v", m, err)
	}
}
