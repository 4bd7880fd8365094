package flowcontrol

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// fcValue is a parsed fc URI value.
type fcValue struct {
	name string

	timeoutNs  int64
	hasTimeout bool

	groupTag    int64
	hasGroupTag bool

	groupMinSize    int
	hasGroupMinSize bool

	rrwm int // 0 = not given
}

// parse reads an fc value. The rules follow Aeron's parsers
// (aeron_flow_control_parse_tagged_options and _max_options in
// aeron_flow_control.c, AbstractMinMulticastFlowControl.parseUriParam), taking
// the stricter reading where the two drivers differ: an option the strategy
// does not know is an error (as in C), and so is a group tag that is not a
// number (as in Java).
func parse(fc string) (fcValue, error) {
	var v fcValue
	if fc == "" {
		return v, nil
	}
	fields := strings.Split(fc, ",")
	// Both drivers accept a trailing comma.
	if len(fields) > 1 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	v.name = fields[0]
	switch v.name {
	case NameMax, NameMin, NameTagged:
	case "":
		return v, fmt.Errorf("fc=%s: no strategy name: %w", fc, ErrInvalid)
	default:
		return v, fmt.Errorf("fc=%s: unknown strategy %q (want max, min or tagged): %w", fc, v.name, ErrInvalid)
	}
	for _, f := range fields[1:] {
		key, val, ok := strings.Cut(f, ":")
		if !ok {
			return v, fmt.Errorf("fc=%s: option %q is not key:value: %w", fc, f, ErrInvalid)
		}
		switch {
		case key == "rrwm":
			n, err := strconv.ParseInt(val, 10, 32)
			if err != nil || n <= 0 {
				return v, fmt.Errorf("fc=%s: bad rrwm %q: want a whole number from 1 to %d: %w",
					fc, val, math.MaxInt32, ErrInvalid)
			}
			v.rrwm = int(n)
		case key == "t" && v.name != NameMax:
			ns, err := parseDuration(val)
			if err != nil {
				return v, fmt.Errorf("fc=%s: bad timeout %q: %v: %w", fc, val, err, ErrInvalid)
			}
			v.timeoutNs, v.hasTimeout = ns, true
		case key == "g" && v.name != NameMax:
			if err := v.parseGroup(val); err != nil {
				return v, fmt.Errorf("fc=%s: bad group %q: %v: %w", fc, val, err, ErrInvalid)
			}
		default:
			return v, fmt.Errorf("fc=%s: option %q is not one %s takes: %w", fc, f, v.name, ErrInvalid)
		}
	}
	return v, nil
}

// parseGroup reads <tag>, <tag>/<minSize> or /<minSize>. A min strategy
// accepts a tag and ignores it, as Aeron's do.
func (v *fcValue) parseGroup(s string) error {
	tag, size, hasSize := strings.Cut(s, "/")
	if tag == "" && !hasSize {
		return fmt.Errorf("want <tag>, <tag>/<minSize> or /<minSize>")
	}
	if tag != "" {
		t, err := strconv.ParseInt(tag, 10, 64)
		if err != nil {
			return fmt.Errorf("tag %q is not a 64-bit integer", tag)
		}
		v.groupTag, v.hasGroupTag = t, true
	}
	if hasSize {
		n, err := strconv.ParseInt(size, 10, 32)
		if err != nil || n < 0 || !isDigits(size) {
			return fmt.Errorf("min size %q is not a whole number from 0 to %d", size, math.MaxInt32)
		}
		v.groupMinSize, v.hasGroupMinSize = int(n), true
	}
	return nil
}

// parseDuration reads Aeron's duration syntax (aeron_parse_duration_ns): a
// whole number of nanoseconds, or one with a unit ns, us, ms or s in either
// case. As in Aeron, a value too large for the unit saturates at the largest
// duration rather than failing.
func parseDuration(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("want a whole number with an optional unit ns, us, ms or s")
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number out of range")
	}
	var unit int64
	switch strings.ToLower(s[i:]) {
	case "", "ns":
		unit = 1
	case "us":
		unit = 1_000
	case "ms":
		unit = 1_000_000
	case "s":
		unit = 1_000_000_000
	default:
		return 0, fmt.Errorf("unknown unit %q (want ns, us, ms or s)", s[i:])
	}
	if n > math.MaxInt64/unit {
		return math.MaxInt64, nil
	}
	return n * unit, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
