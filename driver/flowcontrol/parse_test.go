package flowcontrol

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		fc   string
		want fcValue
	}{
		{"", fcValue{}},
		{"max", fcValue{name: "max"}},
		{"max,", fcValue{name: "max"}},
		{"max,rrwm:8", fcValue{name: "max", rrwm: 8}},
		{"min", fcValue{name: "min"}},
		{"min,t:10s", fcValue{name: "min", timeoutNs: 10e9, hasTimeout: true}},
		{"min,t:250ms", fcValue{name: "min", timeoutNs: 250e6, hasTimeout: true}},
		{"min,t:7us", fcValue{name: "min", timeoutNs: 7000, hasTimeout: true}},
		{"min,t:9NS", fcValue{name: "min", timeoutNs: 9, hasTimeout: true}},
		{"min,t:42", fcValue{name: "min", timeoutNs: 42, hasTimeout: true}},
		{"min,t:0", fcValue{name: "min", timeoutNs: 0, hasTimeout: true}},
		{"min,t:99999999999999s", fcValue{name: "min", timeoutNs: math.MaxInt64, hasTimeout: true}},
		{"min,g:/3", fcValue{name: "min", groupMinSize: 3, hasGroupMinSize: true}},
		{"min,g:7", fcValue{name: "min", groupTag: 7, hasGroupTag: true}},
		{"tagged,g:123", fcValue{name: "tagged", groupTag: 123, hasGroupTag: true}},
		{"tagged,g:-5/0", fcValue{name: "tagged", groupTag: -5, hasGroupTag: true, hasGroupMinSize: true}},
		{"tagged,g:123/2,t:5s", fcValue{name: "tagged", groupTag: 123, hasGroupTag: true,
			groupMinSize: 2, hasGroupMinSize: true, timeoutNs: 5e9, hasTimeout: true}},
		{"tagged,rrwm:2,g:1,g:2", fcValue{name: "tagged", groupTag: 2, hasGroupTag: true, rrwm: 2}},
	}
	for _, tt := range tests {
		got, err := parse(tt.fc)
		if err != nil {
			t.Errorf("parse(%q): %v", tt.fc, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parse(%q) = %+v, want %+v", tt.fc, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		fc, mention string
	}{
		{",", "no strategy name"},
		{",min", "no strategy name"},
		{"foo", `unknown strategy "foo"`},
		{"MIN", `unknown strategy "MIN"`},
		{"min,t:abc", `bad timeout "abc"`},
		{"min,t:", `bad timeout ""`},
		{"min,t:5m", `unknown unit "m"`},
		{"min,t:-1s", `bad timeout "-1s"`},
		{"min,t:5 s", `unknown unit " s"`},
		{"min,g:", `bad group ""`},
		{"min,g:abc", `tag "abc"`},
		{"tagged,g:12x", `tag "12x"`},
		{"tagged,g:1/", `min size ""`},
		{"tagged,g:1/-2", `min size "-2"`},
		{"tagged,g:/3x", `min size "3x"`},
		{"tagged,g:/99999999999", `min size "99999999999"`},
		{"tagged,g:99999999999999999999", `tag "99999999999999999999"`},
		{"max,rrwm:0", `bad rrwm "0"`},
		{"max,rrwm:-1", `bad rrwm "-1"`},
		{"max,rrwm:x", `bad rrwm "x"`},
		{"max,t:5s", `option "t:5s" is not one max takes`},
		{"max,g:1", `option "g:1" is not one max takes`},
		{"min,x:1", `option "x:1" is not one min takes`},
		{"min,,t:1s", `option "" is not key:value`},
		{"min,t", `option "t" is not key:value`},
		// Aeron's C parser's failing cases (aeron_flow_control_test.cpp).
		{"min,t1a0s", `option "t1a0s" is not key:value`},
		{"min,g:1f2", `tag "1f2"`},
		{"min,t:10s,g:1b2", `tag "1b2"`},
		{"min,o:-1", `option "o:-1" is not one min takes`},
		{"tagged,g:/", `min size ""`},
		{"minute", `unknown strategy "minute"`},
		{"taggedagado", `unknown strategy "taggedagado"`},
	}
	for _, tt := range tests {
		_, err := parse(tt.fc)
		if err == nil {
			t.Errorf("parse(%q) accepted", tt.fc)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("parse(%q): %v does not wrap ErrInvalid", tt.fc, err)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "fc="+tt.fc+": ") || !strings.Contains(msg, tt.mention) {
			t.Errorf("parse(%q): %q, want it to start fc=%s: and mention %s", tt.fc, msg, tt.fc, tt.mention)
		}
	}
}

// FuzzNew feeds arbitrary fc values to New: it must never panic, errors must
// wrap ErrInvalid and name the value, and what it builds must work.
func FuzzNew(f *testing.F) {
	for _, s := range []string{"", "max", "max,rrwm:8", "min", "min,t:10s", "min,g:/3",
		"tagged,g:123", "tagged,g:123/2,t:5s", "tagged,g:/", "min,t:5Ms", "max,,", "x,y:z"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, fc string, multicast bool) {
		opts := DefaultOptions()
		opts.Multicast = multicast
		s, err := New(fc, opts, 1<<16)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fc) {
				t.Fatalf("New(%q): %v", fc, err)
			}
			return
		}
		sm := smAt(1, 0, 0, 4096)
		if lim := s.OnStatusMessage(&sm, 0, 0, 16, 1); lim < 0 {
			t.Fatalf("New(%q): limit %d", fc, lim)
		}
		_ = s.OnIdle(2, 0, 0, false)
		if n := s.MaxRetransmissionLength(0, 1<<20, 1<<16, 1408); n < 0 || n > 1<<16 {
			t.Fatalf("New(%q): retransmit length %d", fc, n)
		}
	})
}
