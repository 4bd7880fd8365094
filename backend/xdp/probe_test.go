package xdp

import (
	"strings"
	"testing"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

func TestNoInterface(t *testing.T) {
	if _, err := New(backend.Options{}); err == nil || !strings.Contains(err.Error(), "set --interface") {
		t.Fatalf("New without interface: %v", err)
	}
	r := Probe(backend.Options{})
	if r.Available || !strings.Contains(r.Reason, "no interface configured (set --interface)") {
		t.Fatalf("probe %+v", r)
	}
	if r := Probe(backend.Options{Interface: "does-not-exist0"}); r.Available || !strings.Contains(r.Reason, "does-not-exist0") {
		t.Fatalf("probe of a missing interface %+v", r)
	}
}
