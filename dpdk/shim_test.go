//go:build dpdk

package dpdk

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The package's tests share one EAL (it can be initialised once per
// process) with a null device, which makes frames from nothing and drops
// what it is given: enough to exercise the binding without a network.
var testEAL = EALConfig{NoHuge: true, NoPCI: true, MemoryMB: 64,
	FilePrefix: fmt.Sprintf("abp-unit-%d", os.Getpid()), VDevs: []string{"net_null0"}}

func openNull(t testing.TB) *Port {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("EAL needs root here (memory locking, /var/run/dpdk)")
	}
	if err := InitEAL(testEAL); err != nil {
		t.Fatal(err)
	}
	p, err := OpenPort(PortConfig{Device: "net_null0", RxDescriptors: 256, TxDescriptors: 256, Mbufs: 2047})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestInitOnceAndPorts(t *testing.T) {
	p := openNull(t)
	if !strings.HasPrefix(Version(), "DPDK ") {
		t.Fatalf("version %q", Version())
	}
	if err := InitEAL(testEAL); err != nil {
		t.Fatalf("second init with the same arguments: %v", err)
	}
	other := testEAL
	other.FilePrefix = "other"
	if err := InitEAL(other); err == nil || !strings.Contains(err.Error(), "already initialised") {
		t.Fatalf("second init with other arguments: %v", err)
	}
	if ps := Ports(); len(ps) != 1 || ps[0].Name != "net_null0" {
		t.Fatalf("ports %+v", ps)
	}
	if p.Driver != "net_null" || p.RxDescriptors == 0 {
		t.Fatalf("port %+v", p)
	}
	if _, err := OpenPort(PortConfig{Device: "net_null9"}); err == nil || !strings.Contains(err.Error(), "net_null0") {
		t.Fatalf("open a missing port: %v", err)
	}
}

func TestBurstsAndPool(t *testing.T) {
	p := openNull(t)
	size, free0 := p.Pool()
	if size != 2047 {
		t.Fatalf("pool size %d", size)
	}
	rx, _ := p.NewRxQueue(0, 32)
	defer rx.Release()
	keep := NewMbufs(64)
	defer keep.Release()
	n := rx.Receive(32)
	if n == 0 {
		t.Fatal("null device gave no frames")
	}
	for i := 0; i < n; i++ {
		if len(rx.Frame(i)) == 0 || !rx.Keep(i, keep) {
			t.Fatalf("frame %d", i)
		}
	}
	if _, free := p.Pool(); free != free0-n {
		// The pool's per-lcore cache is not used by non-EAL threads,
		// so the count is exact.
		t.Fatalf("free %d after taking %d of %d", free, n, free0)
	}
	keep.Free()
	tx, _ := p.NewTxQueue(0, 32)
	defer tx.Release()
	if !tx.Alloc(8) {
		t.Fatal("alloc")
	}
	for i := 0; i < 8; i++ {
		b := tx.Buf(i)
		if len(b) < 1500 {
			t.Fatalf("room %d", len(b))
		}
		b[0] = byte(i)
		tx.SetLen(i, 60)
	}
	if sent := tx.Transmit(6, 0); sent != 6 {
		t.Fatalf("sent %d", sent)
	}
	if _, free := p.Pool(); free != free0 {
		t.Fatalf("free %d, want %d: mbufs leaked", free, free0)
	}
	st, err := p.Stats()
	if err != nil || st.OutPackets < 6 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if _, err := p.XStats(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Link(); err != nil {
		t.Fatal(err)
	}
}

func TestBurstPathDoesNotAllocate(t *testing.T) {
	p := openNull(t)
	rx, _ := p.NewRxQueue(0, 32)
	defer rx.Release()
	tx, _ := p.NewTxQueue(0, 32)
	defer tx.Release()
	keep := NewMbufs(32)
	defer keep.Release()
	allocs := testing.AllocsPerRun(200, func() {
		n := rx.Receive(32)
		for i := 0; i < n; i++ {
			_ = rx.Frame(i)
			rx.Keep(i, keep)
		}
		keep.Free()
		if tx.Alloc(32) {
			for i := 0; i < 32; i++ {
				tx.Buf(i)[0] = 1
				tx.SetLen(i, 64)
			}
			tx.Transmit(32, 0)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per burst", allocs)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	// EAL leaves its runtime directory behind; the prefix is ours alone.
	_ = os.RemoveAll("/var/run/dpdk/" + testEAL.FilePrefix)
	os.Exit(code)
}

// BenchmarkNullBursts measures the binding alone: a burst of 32 received
// from the null device and freed, and a burst of 32 built and sent to it.
// It is the cost of the cgo crossings and mbuf handling per frame, with no
// device behind them.
func BenchmarkNullBursts(b *testing.B) {
	p := openNull(b)
	rx, _ := p.NewRxQueue(0, 32)
	defer rx.Release()
	tx, _ := p.NewTxQueue(0, 32)
	defer tx.Release()
	keep := NewMbufs(32)
	defer keep.Release()
	b.Run("rx", func(b *testing.B) {
		frames := 0
		for b.Loop() {
			n := rx.Receive(32)
			for i := 0; i < n; i++ {
				rx.Keep(i, keep)
			}
			keep.Free()
			frames += n
		}
		b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
	})
	b.Run("tx", func(b *testing.B) {
		frames := 0
		for b.Loop() {
			if !tx.Alloc(32) {
				b.Fatal("pool empty")
			}
			for i := 0; i < 32; i++ {
				tx.Buf(i)[0] = byte(i)
				tx.SetLen(i, 74)
			}
			frames += tx.Transmit(32, 0)
		}
		b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
	})
}
