package uri

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	u, err := Parse("aeron:ipc?term-length=64k|mtu=8192|tether=false|linger=1s|session-id=7")
	if err != nil || u.Media != IPC || u.Spy {
		t.Fatalf("%v %v", u, err)
	}
	if n, _ := u.Size("term-length", 0); n != 64<<10 {
		t.Fatal(n)
	}
	if b, _ := u.Bool("tether", true); b {
		t.Fatal("tether")
	}
	if d, _ := u.Duration("linger", 0); d != time.Second {
		t.Fatal(d)
	}
	if s, ok, _ := u.Int32("session-id", 0); !ok || s != 7 {
		t.Fatal(s)
	}
	if u.String() != "aeron:ipc?linger=1s|mtu=8192|session-id=7|term-length=64k|tether=false" {
		t.Fatal(u.String())
	}
	s, err := Parse("aeron-spy:aeron:udp?endpoint=198.18.0.1:40123")
	if err != nil || !s.Spy || s.Media != UDP {
		t.Fatalf("%v %v", s, err)
	}
}

func TestRefusals(t *testing.T) {
	for in, want := range map[string]string{
		"udp://x":               "must start with aeron:",
		"aeron:tcp":             "unknown media",
		"aeron:ipc?term-length": "expected key=value",
		"aeron:ipc?mtu=1|mtu=2": "given twice",
		"aeron-spy:aeron:ipc":   "applies to aeron:udp",
	} {
		_, err := Parse(in)
		var pe *ParamError
		if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", in, err)
		}
	}
	u, _ := Parse("aeron:ipc?term-length=big")
	if _, err := u.Size("term-length", 0); err == nil || !strings.Contains(err.Error(), "term-length") {
		t.Fatalf("bad size: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("aeron:ipc?term-length=64k|mtu=1408")
	f.Add("aeron-spy:aeron:udp?endpoint=a:1|control=b:2")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		if _, err := Parse(u.String()); err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", u.String(), s, err)
		}
	})
}
