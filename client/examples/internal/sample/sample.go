// Package sample holds what the example programs share: Aeron's sample
// settings (SampleConfiguration.java) as flags whose defaults come from the
// aeron.sample.* system-property names spelled as AERON_SAMPLE_* environment
// variables, signal handling and a rate reporter.
package sample

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aeron-bypass/aeron-bypass/client"
)

// Settings are the sample settings.
type Settings struct {
	Dir           string
	Channel       string
	StreamID      int
	PingChannel   string
	PongChannel   string
	PingStreamID  int
	PongStreamID  int
	Messages      int
	MessageLength int
	Warmup        int
	FragmentLimit int
	Exclusive     bool
}

// env reads aeron.sample.x.y as AERON_SAMPLE_X_Y.
func env(prop, def string) string {
	name := strings.ToUpper(strings.NewReplacer(".", "_").Replace(prop))
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(prop string, def int) int {
	if v, err := strconv.Atoi(env(prop, "")); err == nil {
		return v
	}
	return def
}

// Parse registers and parses the flags with Aeron's sample defaults.
func Parse(messages int) *Settings {
	s := &Settings{}
	flag.StringVar(&s.Dir, "dir", client.DefaultDir(), "aeron.dir of the media driver")
	flag.StringVar(&s.Channel, "channel", env("aeron.sample.channel", "aeron:udp?endpoint=localhost:20121"), "channel (aeron.sample.channel)")
	flag.IntVar(&s.StreamID, "stream", envInt("aeron.sample.streamId", 1001), "stream id (aeron.sample.streamId)")
	flag.StringVar(&s.PingChannel, "ping-channel", env("aeron.sample.ping.channel", "aeron:udp?endpoint=localhost:20123"), "ping channel")
	flag.StringVar(&s.PongChannel, "pong-channel", env("aeron.sample.pong.channel", "aeron:udp?endpoint=localhost:20124"), "pong channel")
	flag.IntVar(&s.PingStreamID, "ping-stream", envInt("aeron.sample.ping.streamId", 1002), "ping stream id")
	flag.IntVar(&s.PongStreamID, "pong-stream", envInt("aeron.sample.pong.streamId", 1003), "pong stream id")
	flag.IntVar(&s.Messages, "messages", envInt("aeron.sample.messages", messages), "messages to send (aeron.sample.messages)")
	flag.IntVar(&s.MessageLength, "length", envInt("aeron.sample.messageLength", 32), "message length (aeron.sample.messageLength)")
	flag.IntVar(&s.Warmup, "warmup", envInt("aeron.sample.warmup.messages", 100_000), "warm-up messages (ping)")
	flag.IntVar(&s.FragmentLimit, "fragment-limit", envInt("aeron.sample.frameCountLimit", 10), "fragments per poll")
	flag.BoolVar(&s.Exclusive, "exclusive", env("aeron.sample.exclusive.publications", "false") == "true", "use exclusive publications")
	flag.Parse()
	return s
}

// Connect connects to the driver, bounded by 10s.
func (s *Settings) Connect() (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Config{Dir: s.Dir, ErrorHandler: func(err error) {
		fmt.Fprintln(os.Stderr, "aeron:", err)
	}})
	if err != nil {
		return nil, fmt.Errorf("connect to the media driver in %s: %w", s.Dir, err)
	}
	return c, nil
}

// Context returns a context cancelled by SIGINT or SIGTERM.
func Context() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Fatal prints err and exits.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// RateReporter prints message and byte rates every second
// (RateReporter.java).
type RateReporter struct {
	messages, bytes         int64
	lastMessages, lastBytes int64
	last                    time.Time
}

// Record counts one message.
func (r *RateReporter) Record(length int) {
	r.messages++
	r.bytes += int64(length)
}

// Report prints the rate since the last report when a second has passed.
func (r *RateReporter) Report(now time.Time) {
	if r.last.IsZero() {
		r.last = now
		return
	}
	el := now.Sub(r.last)
	if el < time.Second {
		return
	}
	m, b := r.messages-r.lastMessages, r.bytes-r.lastBytes
	fmt.Printf("%.4g msgs/sec, %.4g bytes/sec, totals %d messages %d MB payloads\n",
		float64(m)/el.Seconds(), float64(b)/el.Seconds(), r.messages, r.bytes>>20)
	r.lastMessages, r.lastBytes, r.last = r.messages, r.bytes, now
}

// Percentiles prints HDR-style percentiles of round-trip times in ns.
func Percentiles(rtts []int64) {
	if len(rtts) == 0 {
		return
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	fmt.Printf("%12s %12s\n", "Value(us)", "Percentile")
	for _, p := range []float64{0, 50, 90, 99, 99.9, 99.99, 100} {
		i := min(int(p/100*float64(len(rtts))), len(rtts)-1)
		fmt.Printf("%12.3f %12.4f\n", float64(rtts[i])/1e3, p/100)
	}
	fmt.Printf("#[Count = %d]\n", len(rtts))
}
