package conductor

import (
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/command"
)

// BenchmarkDutyCycle measures one conductor duty cycle with a client, an
// IPC publication and a subscriber, a keepalive per cycle.
func BenchmarkDutyCycle(b *testing.B) {
	r := newRig(b)
	r.send(command.AddPublication)(command.EncodeAddPublication(r.buf, 1, 40, 9, "aeron:ipc"))
	r.send(command.AddSubscription)(command.EncodeAddSubscription(r.buf, 1, 41, 9, "aeron:ipc"))
	r.work()
	n, _ := command.EncodeClientKeepalive(r.buf, 1, 42)
	msg := r.buf[:n]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.ring.Write(command.ClientKeepalive, msg)
		r.nowNs += int64(time.Microsecond)
		_, _ = r.c.DoWork()
		if i%1024 == 0 {
			_, _ = r.rx.Receive(func(int32, []byte) {})
		}
	}
}
