package uri

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// Media types.
const (
	IPC = "ipc"
	UDP = "udp"
)

// SpyPrefix marks a subscription that spies on local publications.
const SpyPrefix = "aeron-spy:"

// URI is a parsed channel.
type URI struct {
	Spy    bool
	Media  string
	params map[string]string
	order  []string
}

// ParamError says which parameter of a channel is wrong and why.
type ParamError struct {
	Channel string
	Param   string
	Reason  string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("invalid channel %q: %s", e.Channel, e.Reason)
	}
	return fmt.Sprintf("invalid channel %q: %s: %s", e.Channel, e.Param, e.Reason)
}

// Parse reads a channel URI.
func Parse(channel string) (*URI, error) {
	s := channel
	u := &URI{params: map[string]string{}}
	if strings.HasPrefix(s, SpyPrefix) {
		u.Spy = true
		s = s[len(SpyPrefix):]
	}
	if !strings.HasPrefix(s, "aeron:") {
		return nil, &ParamError{Channel: channel, Reason: "must start with aeron: (or aeron-spy:aeron:)"}
	}
	s = s[len("aeron:"):]
	media, query, _ := strings.Cut(s, "?")
	switch media {
	case IPC, UDP:
		u.Media = media
	default:
		return nil, &ParamError{Channel: channel, Reason: fmt.Sprintf("unknown media %q (ipc or udp)", media)}
	}
	if u.Spy && media != UDP {
		return nil, &ParamError{Channel: channel, Reason: "aeron-spy: applies to aeron:udp channels"}
	}
	if query == "" {
		return u, nil
	}
	for _, kv := range strings.Split(query, "|") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, &ParamError{Channel: channel, Param: kv, Reason: "expected key=value"}
		}
		if _, dup := u.params[k]; dup {
			return nil, &ParamError{Channel: channel, Param: k, Reason: "given twice"}
		}
		u.params[k] = v
		u.order = append(u.order, k)
	}
	return u, nil
}

// Get returns a parameter's value.
func (u *URI) Get(key string) (string, bool) {
	v, ok := u.params[key]
	return v, ok
}

// Keys lists the parameters in the order given.
func (u *URI) Keys() []string { return append([]string(nil), u.order...) }

// String renders the URI canonically (parameters sorted).
func (u *URI) String() string {
	var b strings.Builder
	if u.Spy {
		b.WriteString(SpyPrefix)
	}
	b.WriteString("aeron:" + u.Media)
	keys := u.Keys()
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('|')
		}
		b.WriteString(k + "=" + u.params[k])
	}
	return b.String()
}

func (u *URI) errorf(key, format string, args ...any) error {
	return &ParamError{Channel: u.String(), Param: key, Reason: fmt.Sprintf(format, args...)}
}

// Size reads a byte count (65536, 64k, 16m), or def when absent.
func (u *URI) Size(key string, def int64) (int64, error) {
	v, ok := u.params[key]
	if !ok {
		return def, nil
	}
	n, err := config.ParseSize(v)
	if err != nil {
		return 0, u.errorf(key, "%v", err)
	}
	return n, nil
}

// Int32 reads an integer, or def when absent.
func (u *URI) Int32(key string, def int32) (int32, bool, error) {
	v, ok := u.params[key]
	if !ok {
		return def, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, true, u.errorf(key, "%q is not a 32-bit integer", v)
	}
	return int32(n), true, nil
}

// Bool reads true/false, or def when absent.
func (u *URI) Bool(key string, def bool) (bool, error) {
	v, ok := u.params[key]
	if !ok {
		return def, nil
	}
	b, err := config.ParseBool(v)
	if err != nil {
		return false, u.errorf(key, "%v", err)
	}
	return b, nil
}

// Duration reads a duration (nanoseconds or with a unit), or def.
func (u *URI) Duration(key string, def time.Duration) (time.Duration, error) {
	v, ok := u.params[key]
	if !ok {
		return def, nil
	}
	d, err := config.ParseDuration(v)
	if err != nil {
		return 0, u.errorf(key, "%v", err)
	}
	return d, nil
}

// Errorf builds a ParamError for a parameter of this URI, for validation
// done by the caller.
func (u *URI) Errorf(key, format string, args ...any) error { return u.errorf(key, format, args...) }
