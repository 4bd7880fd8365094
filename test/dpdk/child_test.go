//go:build dpdk

package dpdk

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/backend"
	dpdkb "github.com/aeron-bypass/aeron-bypass/backend/dpdk"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

// childEnv carries the child's configuration as JSON.
const childEnv = "AERON_BYPASS_TEST_DPDK_CHILD"

// childConfig is what the parent tells the child.
type childConfig struct {
	Iface      string
	Address    string
	Gateway    string
	IGMP       int
	FilePrefix string
	// Queues is the af_packet vdev's queue pairs, spread by RSS.
	Queues int
	// Reachable is the neighbour reachable time (default the backend's).
	Reachable time.Duration
}

// childLimit bounds the child's life whatever the parent does.
const childLimit = 90 * time.Second

// runChild serves commands, one per line, and answers each with one line
// starting "ok" or "error":
//
//	open ADDR:PORT            -> ok ID LOCAL
//	echo ID COUNT             receive COUNT datagrams, send each back to its source
//	send ID DST COUNT PREFIX  send "PREFIX i" for i < COUNT
//	recv ID COUNT PREFIX      receive COUNT datagrams, check "PREFIX i" in order
//	neigh IP                  -> ok MAC
//	stats                     -> ok JSON
//	allocs ID DST             -> ok N: allocations per burst sent to DST and received back
//	close ID
func runChild(spec string) int {
	var c childConfig
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Println("error", err)
		return 2
	}
	go func() {
		time.Sleep(childLimit)
		os.Exit(3)
	}()
	vdev := "net_af_packet0,iface=" + c.Iface
	if c.Queues > 1 {
		vdev += fmt.Sprintf(",qpairs=%d", c.Queues)
	}
	cfg := dpdkb.Config{
		EAL: dpdk.EALConfig{NoHuge: true, NoPCI: true, MemoryMB: 128, FilePrefix: c.FilePrefix,
			VDevs: []string{vdev}},
		RxQueues:           c.Queues,
		Address:            netip.MustParsePrefix(c.Address),
		IGMPVersion:        c.IGMP,
		ResolveTimeout:     3 * time.Second, // as Linux: three ARP tries a second apart
		NeighbourReachable: c.Reachable,
	}
	if c.Gateway != "" {
		cfg.Gateway = netip.MustParseAddr(c.Gateway)
	}
	defer os.RemoveAll("/var/run/dpdk/" + c.FilePrefix)
	b, err := dpdkb.New(backend.Options{}, cfg)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	defer b.Close()
	fmt.Println("ok", b.MAC(), b.Port().Driver)
	var ts []backend.Transport
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		reply, err := childCommand(b, &ts, f)
		if err != nil {
			fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Println(strings.TrimSpace("ok " + reply))
	}
	return 0
}

func childCommand(b *dpdkb.Backend, ts *[]backend.Transport, f []string) (string, error) {
	transport := func(s string) (backend.Transport, error) {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(*ts) || (*ts)[i] == nil {
			return nil, fmt.Errorf("no transport %q", s)
		}
		return (*ts)[i], nil
	}
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case f[0] == "open" && len(f) == 2:
		ap, err := netip.ParseAddrPort(f[1])
		if err != nil {
			return "", err
		}
		t, err := b.Open(backend.Spec{Local: ap})
		if err != nil {
			return "", err
		}
		*ts = append(*ts, t)
		return fmt.Sprintf("%d %s", len(*ts)-1, t.LocalAddr()), nil
	case f[0] == "echo" && len(f) == 3:
		t, err := transport(f[1])
		if err != nil {
			return "", err
		}
		count, got := atoi(f[2]), 0
		msgs := make([]backend.Message, 32)
		out := make([]backend.Message, 0, 32)
		for deadline := time.Now().Add(20 * time.Second); got < count && time.Now().Before(deadline); {
			n, err := t.Receive(msgs)
			if err != nil {
				return "", err
			}
			out = out[:0]
			for _, m := range msgs[:n] {
				out = append(out, backend.Message{Buf: append([]byte("echo "), m.Buf...), Addr: m.Addr})
			}
			for sent := 0; sent < len(out); {
				k, err := t.Send(out[sent:])
				if err != nil {
					return "", err
				}
				sent += k
			}
			got += n
			if n == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		return strconv.Itoa(got), nil
	case f[0] == "send" && len(f) == 5:
		t, err := transport(f[1])
		if err != nil {
			return "", err
		}
		dst, err := netip.ParseAddrPort(f[2])
		if err != nil {
			return "", err
		}
		count, sent := atoi(f[3]), 0
		for deadline := time.Now().Add(10 * time.Second); sent < count && time.Now().Before(deadline); {
			n, err := t.Send([]backend.Message{{Buf: []byte(fmt.Sprintf("%s %d", f[4], sent)), Addr: dst}})
			if err != nil {
				return "", err
			}
			sent += n
			if sent%64 == 0 {
				// The peer is a kernel socket: let it read.
				time.Sleep(time.Millisecond)
			}
		}
		return strconv.Itoa(sent), nil
	case f[0] == "recv" && len(f) == 4:
		t, err := transport(f[1])
		if err != nil {
			return "", err
		}
		count, got := atoi(f[2]), 0
		msgs := make([]backend.Message, 32)
		for deadline := time.Now().Add(10 * time.Second); got < count && time.Now().Before(deadline); {
			n, err := t.Receive(msgs)
			if err != nil {
				return "", err
			}
			for _, m := range msgs[:n] {
				if want := fmt.Sprintf("%s %d", f[3], got); string(m.Buf) != want {
					return "", fmt.Errorf("received %q, want %q", m.Buf, want)
				}
				got++
			}
			if n == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		return strconv.Itoa(got), nil
	case f[0] == "neigh" && len(f) == 2:
		ip, err := netip.ParseAddr(f[1])
		if err != nil {
			return "", err
		}
		mac, ok := b.Neighbour(ip)
		if !ok {
			return "", fmt.Errorf("%s unresolved", ip)
		}
		return mac.String(), nil
	case f[0] == "stats" && len(f) == 1:
		j, err := json.Marshal(struct {
			Control dpdkb.ControlStats
			Backend backend.Stats
		}{b.ControlStats(), b.Stats()})
		return string(j), err
	case f[0] == "allocs" && len(f) == 3:
		t, err := transport(f[1])
		if err != nil {
			return "", err
		}
		dst, err := netip.ParseAddrPort(f[2])
		if err != nil {
			return "", err
		}
		out := make([]backend.Message, 32)
		for i := range out {
			out[i] = backend.Message{Buf: make([]byte, 32), Addr: dst}
		}
		in := make([]backend.Message, 32)
		received := 0
		burst := func() {
			n, _ := t.Send(out)
			got := 0
			// Bounded: a lost datagram ends the wait.
			for spins := 0; got < n && spins < 100000; spins++ {
				k, _ := t.Receive(in)
				got += k
			}
			received += got
		}
		burst() // resolves the peer first
		allocs := testing.AllocsPerRun(200, burst)
		if received == 0 {
			return "", errors.New("no datagram came back")
		}
		return fmt.Sprintf("%v %d", allocs, received), nil
	case f[0] == "close" && len(f) == 2:
		t, err := transport(f[1])
		if err != nil {
			return "", err
		}
		(*ts)[atoi(f[1])] = nil
		return "", t.Close()
	}
	return "", fmt.Errorf("unknown command %q", strings.Join(f, " "))
}
