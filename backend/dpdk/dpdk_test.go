package dpdk

import (
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

func TestProbeSaysUnavailableWithReason(t *testing.T) {
	for _, r := range backend.Probe(backend.Options{Interface: "eth0"}) {
		if r.Name != Name {
			continue
		}
		if r.Available || r.Reason != unavailable || r.Rank != 10 {
			t.Fatalf("probe %+v", r)
		}
		return
	}
	t.Fatal("dpdk is not registered")
}
