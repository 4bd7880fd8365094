package loss

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the interceptor's name in the interceptor lists.
const Name = "loss"

// Params say what to drop.
type Params struct {
	// Rate is the probability of dropping a datagram whose type matches.
	Rate float64
	// Seed seeds every transport's generator.
	Seed int64
	// TypeMask has bit N set to subject frame type N to loss.
	TypeMask uint64
}

// ParseArgs reads Aeron's loss arguments: rate=R|seed=S|recv-msg-mask=M.
// A missing mask subjects every frame type to loss.
func ParseArgs(s string) (Params, error) {
	p := Params{TypeMask: ^uint64(0)}
	for _, kv := range strings.Split(s, "|") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Params{}, fmt.Errorf("loss args %q: %q is not key=value", s, kv)
		}
		var err error
		switch strings.TrimSpace(k) {
		case "rate":
			p.Rate, err = strconv.ParseFloat(v, 64)
			if err == nil && (p.Rate < 0 || p.Rate > 1) {
				err = fmt.Errorf("rate %v is outside [0, 1]", p.Rate)
			}
		case "seed":
			p.Seed, err = strconv.ParseInt(v, 0, 64)
		case "recv-msg-mask", "msg-mask":
			p.TypeMask, err = strconv.ParseUint(v, 0, 64)
		default:
			err = fmt.Errorf("unknown key %q (rate, seed, recv-msg-mask)", k)
		}
		if err != nil {
			return Params{}, fmt.Errorf("loss args %q: %w", s, err)
		}
	}
	return p, nil
}

// Configure builds the wrapper for the driver's interceptor settings: the
// incoming and outgoing lists (comma-separated names) and the loss
// arguments. It returns nil when no loss interceptor is configured.
func Configure(incoming, outgoing, args string) (func(backend.Backend) backend.Backend, error) {
	in, err := listed(incoming)
	if err != nil {
		return nil, fmt.Errorf("incoming interceptors: %w", err)
	}
	out, err := listed(outgoing)
	if err != nil {
		return nil, fmt.Errorf("outgoing interceptors: %w", err)
	}
	if !in && !out {
		return nil, nil
	}
	p, err := ParseArgs(args)
	if err != nil {
		return nil, err
	}
	var pin, pout *Params
	if in {
		pin = &p
	}
	if out {
		pout = &p
	}
	return func(b backend.Backend) backend.Backend { return Wrap(b, pin, pout) }, nil
}

func listed(list string) (bool, error) {
	found := false
	for _, n := range strings.Split(list, ",") {
		switch strings.TrimSpace(n) {
		case "":
		case Name:
			found = true
		default:
			return false, fmt.Errorf("unknown interceptor %q (this driver has: %s)", strings.TrimSpace(n), Name)
		}
	}
	return found, nil
}

// Backend wraps another backend with loss.
type Backend struct {
	backend.Backend
	in, out *Params
	dropped atomic.Uint64
}

// Wrap adds loss to b on receive (in) and send (out); nil disables a side.
func Wrap(b backend.Backend, in, out *Params) *Backend {
	return &Backend{Backend: b, in: in, out: out}
}

// Dropped counts the datagrams the interceptor discarded.
func (b *Backend) Dropped() uint64 { return b.dropped.Load() }

// Stats adds the interceptor's drops to the wrapped backend's.
func (b *Backend) Stats() backend.Stats {
	s := b.Backend.Stats()
	s.Drops += b.dropped.Load()
	return s
}

// Open opens a transport on the wrapped backend with loss applied.
func (b *Backend) Open(spec backend.Spec) (backend.Transport, error) {
	t, err := b.Backend.Open(spec)
	if err != nil {
		return nil, err
	}
	lt := &transport{Transport: t, owner: b}
	if b.in != nil {
		lt.rxRand = rand.New(rand.NewSource(b.in.Seed))
	}
	if b.out != nil {
		lt.txRand = rand.New(rand.NewSource(b.out.Seed))
		lt.kept = make([]backend.Message, 0, b.BatchSize())
		lt.index = make([]int, 0, b.BatchSize())
	}
	return lt, nil
}

type transport struct {
	backend.Transport
	owner          *Backend
	rxRand, txRand *rand.Rand
	kept           []backend.Message
	index          []int
}

func frameType(b []byte) uint {
	if len(b) < 8 {
		return 63
	}
	return uint(binary.LittleEndian.Uint16(b[6:]) & 63)
}

func (t *transport) drop(p *Params, r *rand.Rand, b []byte) bool {
	return p.TypeMask&(1<<frameType(b)) != 0 && r.Float64() < p.Rate
}

// Receive drops matching datagrams from what the wrapped transport received.
func (t *transport) Receive(msgs []backend.Message) (int, error) {
	n, err := t.Transport.Receive(msgs)
	if t.rxRand == nil || n == 0 {
		return n, err
	}
	kept := 0
	for i := 0; i < n; i++ {
		if t.drop(t.owner.in, t.rxRand, msgs[i].Buf) {
			t.owner.dropped.Add(1)
			continue
		}
		msgs[kept] = msgs[i]
		kept++
	}
	return kept, err
}

// Send passes on the datagrams that survive; dropped ones count as sent.
func (t *transport) Send(msgs []backend.Message) (int, error) {
	if t.txRand == nil {
		return t.Transport.Send(msgs)
	}
	consumed := 0
	for consumed < len(msgs) {
		chunk := msgs[consumed:min(len(msgs), consumed+cap(t.kept))]
		t.kept, t.index = t.kept[:0], t.index[:0]
		for i := range chunk {
			if t.drop(t.owner.out, t.txRand, chunk[i].Buf) {
				t.owner.dropped.Add(1)
				continue
			}
			t.kept = append(t.kept, chunk[i])
			t.index = append(t.index, i)
		}
		sent, err := t.Transport.Send(t.kept)
		if sent < len(t.kept) {
			// The first unsent survivor is where the caller resumes.
			return consumed + t.index[sent], err
		}
		consumed += len(chunk)
		if err != nil {
			return consumed, err
		}
	}
	return consumed, nil
}
