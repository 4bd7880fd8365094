package uri

import (
	"errors"
	"fmt"
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

// Prefixes of a channel string.
const (
	// Scheme starts every channel.
	Scheme = "aeron:"
	// SpyPrefix marks a subscription that spies on local publications.
	SpyPrefix = "aeron-spy:"
)

// MaxLength is the longest channel Aeron accepts (AERON_URI_MAX_LENGTH
// 4096 including the NUL, ChannelUri.MAX_URI_LENGTH).
const MaxLength = 4095

// URI is a parsed channel.
type URI struct {
	Spy   bool
	Media string
	keys  []string
	vals  []string
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

// Parse reads a channel URI with Aeron's grammar (aeron_uri_parse and
// aeron_uri_parse_params in aeron_uri.c): aeron:udp needs its '?', empty
// keys and values are refused, a trailing '|' is allowed. A key given twice
// is refused, because Aeron's C and Java parsers would disagree on which
// value wins.
func Parse(channel string) (*URI, error) {
	bad := func(param, format string, args ...any) error {
		c := channel
		if len(c) > MaxLength {
			c = c[:MaxLength]
		}
		return &ParamError{Channel: c, Param: param, Reason: fmt.Sprintf(format, args...)}
	}
	if len(channel) > MaxLength {
		return nil, bad("", "length %d exceeds the maximum %d", len(channel), MaxLength)
	}
	s := channel
	u := &URI{}
	if strings.HasPrefix(s, SpyPrefix) {
		u.Spy = true
		s = s[len(SpyPrefix):]
	}
	if !strings.HasPrefix(s, Scheme) {
		return nil, bad("", "must start with aeron: (or aeron-spy:aeron:)")
	}
	s = s[len(Scheme):]
	media, query, hasQuery := strings.Cut(s, "?")
	switch media {
	case IPC, UDP:
		u.Media = media
	default:
		return nil, bad("", "unknown media %q (ipc or udp)", media)
	}
	if u.Spy && media != UDP {
		return nil, bad("", "aeron-spy: applies to aeron:udp channels")
	}
	if media == UDP && !hasQuery {
		return nil, bad("", "aeron:udp needs parameters (aeron:udp?endpoint=host:port)")
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "|")
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case kv == "":
			return nil, bad("", "empty parameter between '|' separators")
		case !ok:
			return nil, bad(kv, "expected key=value")
		case k == "":
			return nil, bad("", "empty key in %q", kv)
		case v == "":
			return nil, bad(k, "empty value")
		}
		if u.index(k) >= 0 {
			return nil, bad(k, "given twice")
		}
		u.keys = append(u.keys, k)
		u.vals = append(u.vals, v)
	}
	return u, nil
}

func (u *URI) index(key string) int {
	for i, k := range u.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// IsUDP, IsIPC say which media the channel uses.
func (u *URI) IsUDP() bool { return u.Media == UDP }

// IsIPC reports whether the channel is aeron:ipc.
func (u *URI) IsIPC() bool { return u.Media == IPC }

// Get returns a parameter's value.
func (u *URI) Get(key string) (string, bool) {
	if i := u.index(key); i >= 0 {
		return u.vals[i], true
	}
	return "", false
}

// Has reports whether a parameter is present.
func (u *URI) Has(key string) bool { return u.index(key) >= 0 }

// Set adds or replaces a parameter, keeping its position when replaced.
// Values holding '|' or empty keys or values cannot be written in Aeron's
// grammar and are refused.
func (u *URI) Set(key, value string) error {
	if key == "" || value == "" || strings.ContainsAny(key, "=|") || strings.Contains(value, "|") {
		return u.errorf(key, "cannot set %q: keys and values are non-empty, keys hold no '=' or '|', values no '|'", value)
	}
	if i := u.index(key); i >= 0 {
		u.vals[i] = value
		return nil
	}
	u.keys = append(u.keys, key)
	u.vals = append(u.vals, value)
	return nil
}

// Remove deletes a parameter if present.
func (u *URI) Remove(key string) {
	if i := u.index(key); i >= 0 {
		u.keys = append(u.keys[:i], u.keys[i+1:]...)
		u.vals = append(u.vals[:i], u.vals[i+1:]...)
	}
}

// Keys lists the parameters in the order given.
func (u *URI) Keys() []string { return append([]string(nil), u.keys...) }

// String renders the URI with its parameters in the order given, so a
// parsed channel renders back to the string it came from (but for a
// trailing '|' or an empty '?').
func (u *URI) String() string {
	var b strings.Builder
	if u.Spy {
		b.WriteString(SpyPrefix)
	}
	b.WriteString(Scheme)
	b.WriteString(u.Media)
	if u.Media == UDP || len(u.keys) > 0 {
		b.WriteByte('?')
	}
	for i, k := range u.keys {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(u.vals[i])
	}
	return b.String()
}

func (u *URI) errorf(key, format string, args ...any) error {
	return &ParamError{Channel: u.String(), Param: key, Reason: fmt.Sprintf(format, args...)}
}

// Errorf builds a ParamError for a parameter of this URI, for validation
// done by the caller.
func (u *URI) Errorf(key, format string, args ...any) error { return u.errorf(key, format, args...) }

// Size reads a byte count (65536, 64k, 16m), or def when absent.
func (u *URI) Size(key string, def int64) (int64, error) {
	v, ok := u.Get(key)
	if !ok {
		return def, nil
	}
	n, err := config.ParseSize(v)
	if err != nil {
		return 0, u.errorf(key, "%v", err)
	}
	return n, nil
}

// Int32 reads an integer, or def when absent; the boolean says whether it
// was present.
func (u *URI) Int32(key string, def int32) (int32, bool, error) {
	v, ok := u.Get(key)
	if !ok {
		return def, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, true, u.errorf(key, "%q is not a 32-bit integer", v)
	}
	return int32(n), true, nil
}

// Int64 reads a 64-bit integer, or def when absent.
func (u *URI) Int64(key string, def int64) (int64, bool, error) {
	v, ok := u.Get(key)
	if !ok {
		return def, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, true, u.errorf(key, "%q is not a 64-bit integer", v)
	}
	return n, true, nil
}

// Bool reads true/false, or def when absent.
func (u *URI) Bool(key string, def bool) (bool, error) {
	v, ok := u.Get(key)
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
	v, ok := u.Get(key)
	if !ok {
		return def, nil
	}
	d, err := config.ParseDuration(v)
	if err != nil {
		return 0, u.errorf(key, "%v", err)
	}
	return d, nil
}

// IsParamError reports whether err came from channel parsing or
// validation, so the conductor can answer INVALID_CHANNEL.
func IsParamError(err error) bool {
	var pe *ParamError
	return errors.As(err, &pe)
}
