package backend

import (
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	mu.Lock()
	saved := factories
	factories = map[string]Factory{}
	mu.Unlock()
	defer func() { mu.Lock(); factories = saved; mu.Unlock() }()

	probe := func(ok bool, why string) func(Options) ProbeResult {
		return func(Options) ProbeResult { return ProbeResult{Available: ok, Reason: why} }
	}
	Register(Factory{Name: "slow", Rank: 100, Probe: probe(true, "always")})
	Register(Factory{Name: "fast", Rank: 10, Probe: probe(false, "no device bound")})
	Register(Factory{Name: "middle", Rank: 20, Probe: probe(true, "works")})

	if got := Names(); strings.Join(got, ",") != "fast,middle,slow" {
		t.Fatalf("rank order %v", got)
	}
	_, r, all, err := Choose(Auto, Options{})
	if err != nil || r.Name != "middle" || len(all) != 3 {
		t.Fatalf("auto chose %+v, %v", r, err)
	}
	if _, _, _, err := Choose("fast", Options{}); err == nil || !strings.Contains(err.Error(), "no device bound") {
		t.Fatalf("named unavailable backend: %v", err)
	}
	if _, _, _, err := Choose("warp", Options{}); err == nil || !strings.Contains(err.Error(), "unknown backend") {
		t.Fatalf("unknown backend: %v", err)
	}
	if _, r, _, err := Choose("slow", Options{}); err != nil || r.Name != "slow" {
		t.Fatalf("named available backend: %+v %v", r, err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration accepted")
		}
	}()
	Register(Factory{Name: "slow"})
}
