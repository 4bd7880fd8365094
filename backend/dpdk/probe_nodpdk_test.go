//go:build !dpdk

package dpdk

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/dpdk"
)

func TestProbeSaysNotBuiltIn(t *testing.T) {
	// Even with a ready device and a full configuration, a build
	// without the tag cannot run it.
	c := Config{SysfsRoot: "testdata/sysfs-ena-wc", Address: netip.MustParsePrefix("198.18.0.1/24"),
		EAL: dpdk.EALConfig{VDevs: []string{"net_af_packet0,iface=eth0"}}}
	r := Probe(backend.Options{}, c)
	if r.Available || r.Reason != notBuiltIn {
		t.Fatalf("probe %+v", r)
	}
	if _, err := New(backend.Options{}, c); err == nil || !strings.Contains(err.Error(), "not built in") {
		t.Fatalf("New: %v", err)
	}
	for _, r := range backend.Probe(backend.Options{}) {
		if r.Name == Name && (r.Available || r.Reason != notBuiltIn) {
			t.Fatalf("registry probe %+v", r)
		}
	}
}
