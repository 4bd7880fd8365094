package command

import (
	"bytes"
	"testing"
)

// decoders maps every message type to its decoder; the fuzzer feeds each
// arbitrary record bytes, as a misbehaving client or driver could.
var decoders = map[int32]func([]byte) error{
	AddPublication:            func(b []byte) error { _, err := DecodePublication(b); return err },
	AddExclusivePublication:   func(b []byte) error { _, err := DecodePublication(b); return err },
	RemovePublication:         func(b []byte) error { _, err := DecodeRemovePublication(b); return err },
	AddSubscription:           func(b []byte) error { _, err := DecodeSubscription(b); return err },
	RemoveSubscription:        func(b []byte) error { _, err := DecodeRemove(b); return err },
	ClientKeepalive:           func(b []byte) error { _, err := DecodeCorrelated(b); return err },
	AddDestination:            func(b []byte) error { _, err := DecodeDestination(b); return err },
	AddCounter:                func(b []byte) error { _, err := DecodeCounter(b); return err },
	TerminateDriver:           func(b []byte) error { _, err := DecodeTerminateDriver(b); return err },
	AddStaticCounter:          func(b []byte) error { _, err := DecodeStaticCounter(b); return err },
	RejectImage:               func(b []byte) error { _, err := DecodeRejectImage(b); return err },
	RemoveDestinationByID:     func(b []byte) error { _, err := DecodeDestinationByID(b); return err },
	GetNextAvailableSessionID: func(b []byte) error { _, err := DecodeGetNextAvailableSessionID(b); return err },
	OnError:                   func(b []byte) error { _, err := DecodeError(b); return err },
	OnAvailableImage:          func(b []byte) error { _, err := DecodeAvailableImage(b); return err },
	OnPublicationReady:        func(b []byte) error { _, err := DecodePublicationReady(b); return err },
	OnOperationSuccess:        func(b []byte) error { _, err := DecodeOperationSucceeded(b); return err },
	OnUnavailableImage:        func(b []byte) error { _, err := DecodeUnavailableImage(b); return err },
	OnSubscriptionReady:       func(b []byte) error { _, err := DecodeSubscriptionReady(b); return err },
	OnCounterReady:            func(b []byte) error { _, err := DecodeCounterUpdate(b); return err },
	OnClientTimeout:           func(b []byte) error { _, err := DecodeClientTimeout(b); return err },
	OnPublicationError:        func(b []byte) error { _, err := DecodePublicationError(b); return err },
	OnNextAvailableSessionID:  func(b []byte) error { _, err := DecodeNextAvailableSessionID(b); return err },
}

func FuzzDecoders(f *testing.F) {
	buf := make([]byte, 256)
	n, _ := EncodeAddPublication(buf, 1, 2, 3, "aeron:ipc")
	f.Add(bytes.Clone(buf[:n]))
	n, _ = EncodeAddCounter(buf, 1, 2, 3, []byte{1, 2, 3}, "label")
	f.Add(bytes.Clone(buf[:n]))
	n, _ = EncodeAddStaticCounter(buf, 1, 2, 3, 4, []byte{1, 2, 3, 4, 5}, "label")
	f.Add(bytes.Clone(buf[:n]))
	n, _ = EncodeAvailableImage(buf, 1, 2, 3, 4, 5, "x.logbuffer", "127.0.0.1:1")
	f.Add(bytes.Clone(buf[:n]))
	n, _ = EncodePublicationError(buf, &PublicationErrorFrame{Message: []byte("m")})
	f.Add(bytes.Clone(buf[:n]))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, decode := range decoders {
			_ = decode(data)
		}
		// Views returned must lie inside the record.
		if c, err := DecodeCounter(data); err == nil && len(c.Key)+len(c.Label) > len(data) {
			t.Fatalf("counter views exceed the record")
		}
		if im, err := DecodeAvailableImage(data); err == nil {
			if len(im.LogFileName)+len(im.SourceIdentity)+36 > len(data) {
				t.Fatalf("image views exceed the record")
			}
		}
	})
}
