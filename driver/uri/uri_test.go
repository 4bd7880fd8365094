package uri

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, s string) *URI {
	t.Helper()
	u, err := Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []string{
		"aeron:ipc",
		"aeron:ipc?term-length=64k|mtu=8192|tether=false|linger=1s|session-id=7",
		"aeron:udp?endpoint=198.18.0.1:40123",
		"aeron-spy:aeron:udp?endpoint=198.18.0.1:40123|interface=198.18.0.0/24",
		"aeron:udp?control=[::1]:40000|control-mode=dynamic|alias=a=b",
		"aeron:udp?control-mode=manual",
	} {
		if got := mustParse(t, s).String(); got != s {
			t.Errorf("String() = %q, want %q", got, s)
		}
	}
	u := mustParse(t, "aeron-spy:aeron:udp?endpoint=a:1|alias=x=y|")
	if !u.Spy || !u.IsUDP() || u.IsIPC() {
		t.Fatalf("spy %v media %s", u.Spy, u.Media)
	}
	if v, _ := u.Get(Alias); v != "x=y" {
		t.Fatalf("a value keeps its '=': %q", v)
	}
	if got := strings.Join(u.Keys(), ","); got != "endpoint,alias" {
		t.Fatalf("keys %s", got)
	}
}

func TestParseRefusals(t *testing.T) {
	for in, want := range map[string]string{
		"udp://x":               "must start with aeron:",
		"aeron:tcp":             "unknown media",
		"aeron:ipcx":            "unknown media",
		"aeron:udp":             "needs parameters",
		"aeron:ipc?term-length": "expected key=value",
		"aeron:ipc?=1":          "empty key",
		"aeron:ipc?mtu=|a=b":    "mtu: empty value",
		"aeron:ipc?a=1||b=2":    "empty parameter",
		"aeron:ipc?mtu=1|mtu=2": "mtu: given twice",
		"aeron-spy:aeron:ipc":   "applies to aeron:udp",
		"aeron:ipc?alias=" + strings.Repeat("x", MaxLength): "exceeds the maximum",
	} {
		_, err := Parse(in)
		if err == nil || !IsParamError(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: error %v, want one containing %q", in, err, want)
		}
	}
}

func TestSetRemove(t *testing.T) {
	u := mustParse(t, "aeron:ipc?a=1|b=2")
	if err := u.Set("a", "3"); err != nil {
		t.Fatal(err)
	}
	if err := u.Set("c", "4"); err != nil {
		t.Fatal(err)
	}
	u.Remove("b")
	if got := u.String(); got != "aeron:ipc?a=3|c=4" {
		t.Fatal(got)
	}
	if err := u.Set("d", "x|y"); err == nil {
		t.Fatal("a value with '|' was accepted")
	}
}

func TestTypedAccessors(t *testing.T) {
	u := mustParse(t, "aeron:udp?endpoint=[::1]:40001|interface=198.18.1.1:0/24|ttl=8|mtu=8k|term-length=128k|"+
		"init-term-id=5|term-id=7|term-offset=1024|session-id=tag:99|linger=200ms|eos=false|sparse=true|"+
		"pub-wnd=32k|max-resend=4|fc=tagged,g:7/2,t:10s|reliable=false|rcv-wnd=64k|cc=cubic|gtag=-5|group=true|"+
		"so-sndbuf=2m|so-rcvbuf=4m|tags=1,2|channel-rcv-ts-offset=reserved|media-rcv-ts-offset=8|"+
		"response-correlation-id=prototype|untethered-resting-timeout=3s|nak-delay=100us|stream-id=1001")
	if err := u.Validate(16 << 20); err != nil {
		t.Fatal(err)
	}
	if hp, ok, err := u.EndpointHostPort(); err != nil || !ok || hp.Host != "::1" || hp.Port != 40001 || hp.String() != "[::1]:40001" {
		t.Fatalf("endpoint %+v %v %v", hp, ok, err)
	}
	ifc, _, _ := u.Interface()
	if p, ok := ifc.Prefix(); !ok || p != netip.MustParsePrefix("198.18.1.0/24") {
		t.Fatalf("interface %+v prefix %v", ifc, p)
	}
	if v, _, _ := u.TTL(); v != 8 {
		t.Fatal(v)
	}
	if v, _, _ := u.MTU(); v != 8192 {
		t.Fatal(v)
	}
	if v, _, _ := u.TermLength(); v != 128<<10 {
		t.Fatal(v)
	}
	if p, ok, err := u.Position(128 << 10); err != nil || !ok || p != (Position{5, 7, 1024}) {
		t.Fatalf("%+v %v %v", p, ok, err)
	}
	if s, _, _ := u.SessionID(); !s.IsTag || s.Value != 99 {
		t.Fatal(s)
	}
	if d, _, _ := u.LingerTimeout(); d != 200*time.Millisecond {
		t.Fatal(d)
	}
	if b, ok, _ := u.BoolParam(EOS); b || !ok {
		t.Fatal("eos")
	}
	fc, _, _ := u.FlowControlParam()
	if fc != (FlowControl{Strategy: "tagged", GroupTag: 7, HasGroupTag: true, GroupMinSize: 2, HasGroupMinSize: true,
		ReceiverTimeout: 10 * time.Second, HasReceiverTimeout: true}) {
		t.Fatalf("fc %+v", fc)
	}
	if g, _ := u.GroupParam(); g != GroupForce {
		t.Fatal(g)
	}
	if tags, _ := u.Tags(); tags != (ChannelTags{1, 2, true, true}) {
		t.Fatal(tags)
	}
	if ts, _, _ := u.TimestampOffsetParam(ChannelRcvTsOffset); !ts.Reserved {
		t.Fatal(ts)
	}
	if _, proto, ok, _ := u.ResponseCorrelation(); !proto || !ok {
		t.Fatal("response-correlation-id")
	}
	if _, _, resting, set, _ := u.UntetheredTimeouts(); resting != 3*time.Second || set != [3]bool{false, false, true} {
		t.Fatal(resting, set)
	}
	if v, _, _ := u.StreamIDParam(); v != 1001 {
		t.Fatal(v)
	}
}

func TestValidateNamesTheParameter(t *testing.T) {
	for in, want := range map[string]string{
		"aeron:udp?endpoint=localhost":                      "endpoint",
		"aeron:udp?endpoint=::1:40":                         "endpoint",
		"aeron:udp?endpoint=a:70000":                        "endpoint",
		"aeron:udp?alias=x":                                 "needs an endpoint",
		"aeron:udp?control-mode=dynamic":                    "control-mode: dynamic needs a control",
		"aeron:udp?control-mode=sometimes|endpoint=a:1":     "control-mode",
		"aeron:udp?endpoint=a:1|interface=1.2.3.4/33":       "interface",
		"aeron:ipc?ttl=256":                                 "ttl",
		"aeron:ipc?mtu=1000":                                "mtu: 1000 is not a multiple of 32",
		"aeron:ipc?mtu=32":                                  "mtu",
		"aeron:ipc?mtu=65536":                               "mtu",
		"aeron:ipc?term-length=96k":                         "term-length: 98304 is not a power of two",
		"aeron:ipc?term-length=32k":                         "term-length",
		"aeron:ipc?term-length=2g":                          "term-length",
		"aeron:ipc?init-term-id=1|term-id=2":                "together",
		"aeron:ipc?init-term-id=1|term-id=2|term-offset=33": "term-offset",
		"aeron:ipc?init-term-id=1|term-id=2|term-offset=1g": "term-offset",
		"aeron:ipc?init-term-id=5|term-id=2|term-offset=0":  "term-id",
		"aeron:ipc?session-id=x":                            "session-id",
		"aeron:ipc?session-id=4294967296":                   "session-id",
		"aeron:ipc?linger=soon":                             "linger",
		"aeron:ipc?eos=maybe":                               "eos",
		"aeron:ipc?pub-wnd=16m":                             "pub-wnd",
		"aeron:ipc?max-resend=0":                            "max-resend",
		"aeron:ipc?max-resend=257":                          "max-resend",
		"aeron:ipc?fc=fastest":                              "fc",
		"aeron:ipc?fc=max,g:1":                              "fc",
		"aeron:ipc?fc=min,t:x":                              "fc",
		"aeron:ipc?fc=tagged,g:1/-1":                        "fc",
		"aeron:ipc?fc=min,rrwm:0":                           "fc",
		"aeron:ipc?cc=reno":                                 "cc",
		"aeron:ipc?group=sometimes":                         "group",
		"aeron:ipc?gtag=x":                                  "gtag",
		"aeron:ipc?tags=x":                                  "tags",
		"aeron:ipc?so-rcvbuf=0":                             "so-rcvbuf",
		"aeron:ipc?rcv-wnd=-1":                              "rcv-wnd",
		"aeron:ipc?channel-snd-ts-offset=-8":                "channel-snd-ts-offset",
		"aeron:ipc?response-correlation-id=next":            "response-correlation-id",
		"aeron:ipc?untethered-linger-timeout=x":             "untethered-linger-timeout",
		"aeron:udp?endpoint=a:1|response-endpoint=b":        "response-endpoint",
	} {
		u := mustParse(t, in)
		err := u.Validate(16 << 20)
		if err == nil || !IsParamError(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", in, err, want)
		}
	}
	for _, ok := range []string{
		"aeron:udp?tags=1",
		"aeron:udp?control-mode=response",
		"aeron:udp?control=1.2.3.4:5|control-mode=dynamic|fc=min,g:/3,rrwm:2",
		"aeron:udp?endpoint=224.0.1.1:40456|interface=fe80::1/64|ttl=0",
		"aeron:ipc?fc=max,rrwm:4|tags=,7|unknown-key=kept",
	} {
		if err := mustParse(t, ok).Validate(16 << 20); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestParseInterface(t *testing.T) {
	for in, want := range map[string]InterfaceSpec{
		"198.18.0.1":        {Host: "198.18.0.1", PrefixLen: -1},
		"198.18.0.1:4000":   {Host: "198.18.0.1", Port: 4000, PrefixLen: -1},
		"198.18.0.0/16":     {Host: "198.18.0.0", PrefixLen: 16},
		"[::1]:9/128":       {Host: "::1", Port: 9, PrefixLen: 128},
		"[fe80::1]/64":      {Host: "fe80::1", PrefixLen: 64},
		"fe80::1/10":        {Host: "fe80::1", PrefixLen: 10},
		"eth-host-name:300": {Host: "eth-host-name", Port: 300, PrefixLen: -1},
	} {
		got, err := ParseInterface(in)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "/24", "1.2.3.4/x", "1.2.3.4:99999", "[::1"} {
		if _, err := ParseInterface(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestResolve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for in, want := range map[string]string{
		"198.18.0.1:40123": "198.18.0.1:40123",
		"[::1]:7":          "[::1]:7",
		"localhost:40000":  "127.0.0.1:40000",
	} {
		got, err := ResolveEndpoint(ctx, in)
		if err != nil || got.String() != want {
			t.Errorf("%s: %v %v, want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"nohost", "[fe80::1%eth0]:1", "name.invalid:1"} {
		if _, err := ResolveEndpoint(ctx, in); err == nil {
			t.Errorf("%s resolved", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"aeron:ipc?term-length=64k|mtu=1408",
		"aeron-spy:aeron:udp?endpoint=a:1|control=b:2",
		"aeron:udp?endpoint=[::1]:40001|interface=198.18.1.1:0/24|fc=tagged,g:7/2,t:10s",
		"aeron:udp?control-mode=dynamic|control=1.2.3.4:5|session-id=tag:9|tags=1,2",
		"aeron:ipc?init-term-id=1|term-id=2|term-offset=64|pub-wnd=32k|",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(u.String())
		if err != nil {
			t.Fatalf("rendered %q of %q does not parse: %v", u.String(), s, err)
		}
		if again.String() != u.String() {
			t.Fatalf("render is not stable: %q then %q", u.String(), again.String())
		}
		// Validation must only ever return errors, whatever the values.
		_ = u.Validate(64 << 10)
		if v, ok := u.Get(Interface); ok {
			if spec, err := ParseInterface(v); err == nil {
				spec.Prefix()
			}
		}
	})
}
