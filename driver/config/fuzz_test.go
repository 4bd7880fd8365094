package config

import (
	"os"
	"path/filepath"
	"testing"
)

// Values come from users' files, environments and command lines: no input
// may panic, and accepted sizes and durations are never negative.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"65536", "64k", "16M", "1g", "9223372036854775807k", "-1", "10ms", "500us",
		"1000000", "5s", "1m", "µs", "1,2, 3", "yes", "", " k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseSize(s); err == nil && v < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, v)
		}
		if d, err := ParseDuration(s); err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		ParseBool(s)
		if l, err := ParseIntList(s); err == nil {
			for _, v := range l {
				if v < 0 {
					t.Fatalf("ParseIntList(%q) = %v", s, l)
				}
			}
		}
	})
}

// A properties file either loads or is refused with an error; it never panics.
func FuzzPropertiesFile(f *testing.F) {
	for _, s := range []string{"aeron.dir=/dev/shm/x\n", "# c\naeron.mtu.length: 1408\n", "aeron.term.buffer.length=\\\n 64k\n",
		"=x\n", "aeron.unknown=1\n", "aeron.threading.mode=SHARED\n!x\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "f.properties")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readProperties(path); err != nil {
			return
		}
		Load(Source{File: path, Environ: []string{"AERON_DIR=" + dir}})
	})
}
