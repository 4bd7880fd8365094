package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm/cnc"
	"github.com/aeron-bypass/aeron-bypass/driver/shm/errorlog"
)

func TestStatReadsLiveCounters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aeron")
	cmd, _, done := startDriver(t, nil, "--aeron-dir", dir)
	defer stopDriver(t, cmd, done, os.Interrupt)

	out, errOut, err := run(t, nil, "stat", "--once", "--aeron-dir", dir)
	if err != nil {
		t.Fatalf("stat --once: %v\n%s", err, errOut)
	}
	for _, want := range []string{"Aeron Stat", "  0: ", "Bytes sent", "Errors"} {
		if !strings.Contains(out, want) {
			t.Fatalf("stat output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Aeron Stat"); n != 1 {
		t.Fatalf("--once printed %d snapshots", n)
	}

	out, errOut, err = run(t, nil, "stat", "--count", "2", "--interval", "10ms", "--aeron-dir", dir)
	if err != nil {
		t.Fatalf("stat --count 2: %v\n%s", err, errOut)
	}
	if n := strings.Count(out, "Aeron Stat"); n != 2 {
		t.Fatalf("--count 2 printed %d snapshots:\n%s", n, out)
	}

	out, errOut, err = run(t, nil, "errors", "--aeron-dir", dir)
	if err != nil || !strings.Contains(out, "distinct errors observed") {
		t.Fatalf("errors: %v\n%s%s", err, out, errOut)
	}
}

func TestStatWithoutDriverFails(t *testing.T) {
	dir := t.TempDir()
	_, errOut, err := run(t, nil, "stat", "--once", "--aeron-dir", dir)
	if err == nil || !strings.Contains(errOut, "is a driver running there") {
		t.Fatalf("stat without a driver: %v\n%s", err, errOut)
	}
}

func TestErrorsPrintsDistinctLog(t *testing.T) {
	dir := t.TempDir()
	l := cnc.Lengths{ToDriver: 1024 + 768, ToClients: 1024 + 128, CounterMetadata: 4 * 512,
		CounterValues: 4 * 128, ErrorLog: 4096}
	f, err := cnc.Create(dir, l, int64(10*time.Second), time.Now().UnixMilli(), int64(os.Getpid()), 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := errorlog.New(f.ErrorLog(), func() int64 { return time.Now().UnixMilli() })
	for range 3 {
		log.Record(11, "invalid channel: aeron:foo")
	}
	log.Record(12, "unknown subscription")

	out, errOut, err := run(t, nil, "errors", "--aeron-dir", dir)
	if err != nil {
		t.Fatalf("errors: %v\n%s", err, errOut)
	}
	for _, want := range []string{"3 observations", "invalid channel: aeron:foo", "1 observations",
		"unknown subscription", "2 distinct errors observed."} {
		if !strings.Contains(out, want) {
			t.Fatalf("errors output lacks %q:\n%s", want, out)
		}
	}
}
