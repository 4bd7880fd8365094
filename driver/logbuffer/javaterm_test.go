package logbuffer

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/shm"
	"github.com/aeron-bypass/aeron-bypass/test/aeronjava"
)

// TestTermToolsMatchAeron runs Aeron's TermScanner, TermGapScanner and
// TermUnblocker and TermGapFiller and ours over the same term: committed frames, a hole, a
// PAD frame, a begun-but-uncommitted frame and claimed zeros.
func TestTermToolsMatchAeron(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM")
	}
	classpath := aeronjava.Compile(t, filepath.Join("testdata", "java"))

	const termLength = 64 * 1024
	raw := make([]byte, termLength)
	term := shm.NewAtomicBuffer(raw)
	data := func(off, length int) {
		term.PutInt32(off, int32(length))
		term.PutUint8(off+flagsOffset, FlagsUnfragmented)
		term.PutInt16(off+typeFieldOffset, HdrTypeData)
		term.PutInt32(off+termOffsetOffset, int32(off))
	}
	data(0, 40)
	data(64, 100)
	data(320, 32) // hole [192, 320)
	data(352, 1024)
	term.PutInt16(352+typeFieldOffset, HdrTypePad)
	data(1376, 64)
	term.PutInt32(2048, -200) // begun, never committed
	data(4096+512, 64)        // zeros [4096, 4608) before it

	meta := shm.NewAtomicBuffer(make([]byte, MetadataLength))
	hdr := make([]byte, DataHeaderLength)
	hdr[5], hdr[6] = FlagsUnfragmented, HdrTypeData
	shm.NewAtomicBuffer(hdr).PutInt32(sessionIDOffset, -5)
	shm.NewAtomicBuffer(hdr).PutInt32(streamIDOffset, 1001)
	SetDefaultFrameHeader(meta, hdr)

	dir := t.TempDir()
	termPath, metaPath := filepath.Join(dir, "term"), filepath.Join(dir, "meta")
	if err := os.WriteFile(termPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metaPath, meta.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := aeronjava.Run(t, classpath, nil, 60*time.Second, "TermCheck", termPath, metaPath)

	var ours strings.Builder
	for _, s := range [][2]int{{0, 4096}, {0, 100}, {0, 64}, {0, 192}, {320, 4096}, {192, 4096}, {352, 64}, {64, 100}} {
		r := ScanForAvailability(term, s[0], s[1])
		fmt.Fprintf(&ours, "scan %d %d %d %d\n", s[0], s[1], ScanAvailable(r), ScanPadding(r))
	}
	for _, g := range [][2]int{{0, 4096}, {0, 192}, {1376, 4096}, {4096, 8192}} {
		off, length := -1, -1
		end := ScanForGap(term, 7, g[0], g[1], func(_ int32, o, n int) { off, length = o, n })
		fmt.Fprintf(&ours, "gap %d %d %d %d %d\n", g[0], g[1], end, off, length)
	}
	names := map[UnblockStatus]string{NoAction: "NO_ACTION", Unblocked: "UNBLOCKED", UnblockedToEnd: "UNBLOCKED_TO_END"}
	for _, u := range [][2]int{{2048, 4096}, {4096, 8192}, {8192, 12288}, {61440, termLength}} {
		c := shm.NewAtomicBuffer(append([]byte(nil), raw...))
		status := Unblock(c, DefaultFrameHeader(meta), 9, u[0], u[1])
		fmt.Fprintf(&ours, "unblock %d %d %s %s\n", u[0], u[1], names[status], hex.EncodeToString(c.Bytes()[u[0]:u[0]+32]))
	}
	for _, f := range [][2]int{{192, 128}, {192, 192}, {4096, 512}, {8192, 1024}} {
		c := shm.NewAtomicBuffer(append([]byte(nil), raw...))
		filled := FillGap(c, DefaultFrameHeader(meta), 9, f[0], f[1])
		fmt.Fprintf(&ours, "fill %d %d %t %s\n", f[0], f[1], filled, hex.EncodeToString(c.Bytes()[f[0]:f[0]+32]))
	}
	if strings.TrimSpace(out) != strings.TrimSpace(ours.String()) {
		t.Fatalf("Aeron:\n%s\nours:\n%s", out, ours.String())
	}
}
