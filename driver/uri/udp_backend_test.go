package uri

import (
	"context"
	"net/netip"
	"testing"
)

// A backend that owns an address outside the kernel (DPDK) makes it a
// valid interface= for channels, multicast included.
func TestBackendAddressesAreInterfaces(t *testing.T) {
	u, err := Parse("aeron:udp?endpoint=239.255.9.1:40470|interface=198.18.99.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUDP(context.Background(), u, false); err == nil {
		t.Fatal("an address no interface holds resolved")
	}
	SetBackendAddresses(netip.MustParsePrefix("198.18.99.1/24"))
	defer SetBackendAddresses()
	ch, err := ResolveUDP(context.Background(), u, false)
	if err != nil {
		t.Fatal(err)
	}
	if ch.LocalData.Addr() != netip.MustParseAddr("198.18.99.1") || !ch.Multicast {
		t.Fatalf("resolved %+v", ch)
	}
}
