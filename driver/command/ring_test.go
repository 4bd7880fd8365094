package command

import (
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/ringbuffer"
)

// Commands travel to the driver as records of the to-driver ring buffer;
// the driver decodes each record in place and a keepalive round trip
// allocates nothing.
func TestThroughToDriverRing(t *testing.T) {
	ring, err := ringbuffer.New(shm.NewAtomicBuffer(make([]byte, 64*1024+ringbuffer.TrailerLength)))
	if err != nil {
		t.Fatal(err)
	}
	var scratch [256]byte
	n, _ := EncodeAddPublication(scratch[:], 7, 100, 1001, "aeron:ipc?term-length=64k")
	if !ring.Write(AddPublication, scratch[:n]) {
		t.Fatal("write")
	}
	n, _ = EncodeAddCounter(scratch[:], 7, 101, 1002, []byte{1, 2, 3}, "my counter")
	ring.Write(AddCounter, scratch[:n])
	n, _ = EncodeClientKeepalive(scratch[:], 7, 0)
	ring.Write(ClientKeepalive, scratch[:n])

	var seen []string
	ring.Read(func(typeID int32, buf shm.AtomicBuffer, off, length int) {
		rec := buf.Bytes()[off : off+length]
		switch typeID {
		case AddPublication:
			m, err := DecodePublication(rec)
			if err != nil || m.ClientID != 7 || m.CorrelationID != 100 || string(m.Channel) != "aeron:ipc?term-length=64k" {
				t.Fatalf("%+v %v", m, err)
			}
		case AddCounter:
			m, err := DecodeCounter(rec)
			if err != nil || m.TypeID != 1002 || string(m.Label) != "my counter" || len(m.Key) != 3 {
				t.Fatalf("%+v %v", m, err)
			}
		case ClientKeepalive:
			if m, err := DecodeCorrelated(rec); err != nil || m.ClientID != 7 {
				t.Fatalf("%+v %v", m, err)
			}
		}
		seen = append(seen, CommandName(typeID))
	}, 10)
	if len(seen) != 3 || seen[0] != "ADD_PUBLICATION" || seen[1] != "ADD_COUNTER" || seen[2] != "CLIENT_KEEPALIVE" {
		t.Fatalf("read %v", seen)
	}

	var clientID int64
	handler := func(typeID int32, buf shm.AtomicBuffer, off, length int) {
		if m, err := DecodeCorrelated(buf.Bytes()[off : off+length]); err == nil {
			clientID = m.ClientID
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		n, _ := EncodeClientKeepalive(scratch[:], 9, 0)
		ring.Write(ClientKeepalive, scratch[:n])
		ring.Read(handler, 10)
	})
	if allocs != 0 || clientID != 9 {
		t.Fatalf("%v allocations, client %d", allocs, clientID)
	}
}
