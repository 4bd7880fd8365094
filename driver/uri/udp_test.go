package uri

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeInterfaces stands in for the host's interfaces.
func fakeInterfaces(t *testing.T) {
	t.Helper()
	saved := localInterfaces
	t.Cleanup(func() { localInterfaces = saved })
	localInterfaces = func() ([]ifAddr, error) {
		return []ifAddr{
			{index: 1, prefix: netip.MustParsePrefix("127.0.0.1/8"), loopback: true},
			{index: 1, prefix: netip.MustParsePrefix("::1/128"), loopback: true},
			{index: 7, prefix: netip.MustParsePrefix("198.18.4.1/24"), multicast: true},
			{index: 8, prefix: netip.MustParsePrefix("198.19.0.9/16"), multicast: true},
		}, nil
	}
}

func resolveUDP(t *testing.T, s string) (*UDPChannel, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return ResolveUDP(ctx, mustParse(t, s), false)
}

func TestResolveUDP(t *testing.T) {
	fakeInterfaces(t)
	ap := netip.MustParseAddrPort
	c, err := resolveUDP(t, "aeron:udp?endpoint=198.18.4.2:40123")
	if err != nil {
		t.Fatal(err)
	}
	if c.Multicast || c.RemoteData != ap("198.18.4.2:40123") || c.LocalData != ap("0.0.0.0:0") ||
		c.Canonical != "UDP-0.0.0.0:0-198.18.4.2:40123" {
		t.Fatalf("unicast %+v", c)
	}

	c, err = resolveUDP(t, "aeron:udp?endpoint=239.255.1.1:40456|interface=198.18.4.0/24|ttl=4")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Multicast || c.RemoteControl != ap("239.255.1.2:40456") || c.LocalData != ap("198.18.4.1:0") ||
		c.InterfaceIndex != 7 || c.MulticastTTL != 4 || c.Canonical != "UDP-198.18.4.1:0-239.255.1.1:40456" {
		t.Fatalf("multicast %+v", c)
	}
	// With no interface the multicast-capable, non-loopback one is taken.
	if c, err = resolveUDP(t, "aeron:udp?endpoint=239.255.1.1:1"); err != nil || c.InterfaceIndex != 7 {
		t.Fatalf("default multicast interface %+v %v", c, err)
	}

	c, err = resolveUDP(t, "aeron:udp?endpoint=localhost:40000|control=198.18.4.1:40001")
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasExplicitControl || c.LocalControl != ap("198.18.4.1:40001") || c.RemoteData != ap("127.0.0.1:40000") ||
		c.Canonical != "UDP-198.18.4.1:40001-localhost:40000" {
		t.Fatalf("explicit control %+v", c)
	}

	c, err = resolveUDP(t, "aeron:udp?endpoint=[::1]:9|interface=[::1]:7")
	if err != nil || c.LocalData != ap("[::1]:7") || c.Canonical != "UDP-[::1]:7-[::1]:9" {
		t.Fatalf("ipv6 %+v %v", c, err)
	}

	// Channels that must never share an endpoint get a unique suffix.
	a, _ := resolveUDP(t, "aeron:udp?endpoint=198.18.4.2:0")
	b, _ := resolveUDP(t, "aeron:udp?endpoint=198.18.4.2:0")
	if a.Canonical == b.Canonical || !strings.HasPrefix(a.Canonical, "UDP-0.0.0.0:0-198.18.4.2:0-") {
		t.Fatalf("wildcard ports share %q and %q", a.Canonical, b.Canonical)
	}
	if c, _ := resolveUDP(t, "aeron:udp?control-mode=manual|tags=5"); c.Canonical != "UDP-0.0.0.0:0-0.0.0.0:0#5" || !c.HasTag {
		t.Fatalf("tagged %+v", c)
	}
	if c, _ := ResolveUDP(context.Background(), mustParse(t, "aeron:udp?endpoint=198.18.4.2:0"), true); strings.Count(c.Canonical, "-") != 2 {
		t.Fatalf("a destination got a suffix: %q", c.Canonical)
	}
}

func TestResolveUDPRefusals(t *testing.T) {
	fakeInterfaces(t)
	for in, want := range map[string]string{
		"aeron:udp?endpoint=239.255.1.2:1":                      "must be odd",
		"aeron:udp?endpoint=239.255.1.1:1|interface=10.0.0.0/8": "interface: no local interface",
		"aeron:udp?endpoint=1.2.3.4:1|interface=10.1.1.1":       "interface",
		"aeron:udp?endpoint=1.2.3.4:1|interface=[::1]":          "address family",
		"aeron:udp?endpoint=name.invalid:1":                     "endpoint",
		"aeron:udp?control-mode=dynamic":                        "control-mode",
	} {
		if _, err := resolveUDP(t, in); err == nil || !IsParamError(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", in, err, want)
		}
	}
	if _, err := ResolveUDP(context.Background(), mustParse(t, "aeron:ipc"), false); err == nil {
		t.Fatal("an ipc channel resolved as UDP")
	}
}

func TestRealInterfaces(t *testing.T) {
	// The loopback interface exists everywhere these tests run.
	a, idx, err := findInterface(InterfaceSpec{Host: "127.0.0.1", PrefixLen: -1}, false)
	if err != nil || a != netip.MustParseAddr("127.0.0.1") || idx == 0 {
		t.Fatalf("loopback: %v %d %v", a, idx, err)
	}
}
