package conductor

import (
	"testing"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
)

// FuzzCommands feeds arbitrary records to the conductor as a misbehaving
// client could write them into the to-driver ring: every one must be
// answered or logged, never crash the driver.
func FuzzCommands(f *testing.F) {
	buf := make([]byte, 1024)
	seed := func(typ int32) func(int, error) {
		return func(n int, err error) {
			if err != nil {
				f.Fatal(err)
			}
			f.Add(typ, append([]byte(nil), buf[:n]...))
		}
	}
	seed(command.AddPublication)(command.EncodeAddPublication(buf, 1, 2, 10, "aeron:ipc?term-length=64k|init-term-id=5|term-id=6|term-offset=64"))
	seed(command.AddExclusivePublication)(command.EncodeAddExclusivePublication(buf, 1, 3, 10, "aeron:ipc?session-id=7|mtu=4096"))
	seed(command.AddSubscription)(command.EncodeAddSubscription(buf, 1, 4, 10, "aeron:ipc?tether=false"))
	seed(command.AddSubscription)(command.EncodeAddSubscription(buf, 1, 4, 10, "aeron-spy:aeron:udp?endpoint=localhost:1"))
	seed(command.RemovePublication)(command.EncodeRemovePublication(buf, 1, 5, 2, 0))
	seed(command.RemoveSubscription)(command.EncodeRemoveSubscription(buf, 1, 6, 4))
	seed(command.AddCounter)(command.EncodeAddCounter(buf, 1, 7, 1001, []byte{1}, "x"))
	seed(command.AddStaticCounter)(command.EncodeAddStaticCounter(buf, 1, 8, 9, 1001, nil, "s"))
	seed(command.RemoveCounter)(command.EncodeRemoveCounter(buf, 1, 9, 7))
	seed(command.ClientKeepalive)(command.EncodeClientKeepalive(buf, 1, 10))
	seed(command.ClientClose)(command.EncodeClientClose(buf, 1, 11))
	seed(command.TerminateDriver)(command.EncodeTerminateDriver(buf, 1, 12, []byte("token")))
	seed(command.GetNextAvailableSessionID)(command.EncodeGetNextAvailableSessionID(buf, 1, 13, 10))
	seed(command.AddDestination)(command.EncodeDestination(buf, 1, 14, 2, "aeron:udp?endpoint=localhost:2"))
	f.Add(int32(0x99), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, typ int32, b []byte) {
		if len(b) > 4096 {
			return
		}
		r := newRig(t)
		if !r.ring.Write(typ, b) {
			return // the ring refuses what no client could write either
		}
		r.work()
	})
}
