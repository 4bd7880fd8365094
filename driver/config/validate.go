package config

import (
	"fmt"
	"strings"
)

// Aeron's limits (aeron_logbuffer_descriptor.h, aeron_driver_context.c).
const (
	MinTermLength = 64 * 1024
	MaxTermLength = 1 << 30
	MinPageSize   = 4 * 1024
	MaxPageSize   = 1 << 30
	MaxUDPPayload = 65504
)

var idleStrategies = []string{
	"noop", "spin", "busy_spin", "yield", "sleep", "sleep-ns", "sleep-ms", "backoff",
	"org.agrona.concurrent.NoOpIdleStrategy", "org.agrona.concurrent.BusySpinIdleStrategy",
	"org.agrona.concurrent.YieldingIdleStrategy", "org.agrona.concurrent.SleepingIdleStrategy",
	"org.agrona.concurrent.SleepingMillisIdleStrategy", "org.agrona.concurrent.BackoffIdleStrategy",
}

// ValidIdleStrategy reports whether name is an idle strategy Aeron accepts.
func ValidIdleStrategy(name string) bool {
	for _, s := range idleStrategies {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

func isPow2(v int) bool { return v > 0 && v&(v-1) == 0 }

// Validate checks the settings against Aeron's rules and names the first
// property that breaks one.
func (c Config) Validate() error {
	bad := func(name string, format string, args ...any) error {
		return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	if c.Dir == "" {
		return bad("aeron.dir", "must not be empty")
	}
	for _, t := range []struct {
		name string
		v    int
	}{{"aeron.term.buffer.length", c.TermBufferLength}, {"aeron.ipc.term.buffer.length", c.IpcTermBufferLength}} {
		if !isPow2(t.v) || t.v < MinTermLength || t.v > MaxTermLength {
			return bad(t.name, "%d must be a power of two between 64k and 1g", t.v)
		}
	}
	if !isPow2(c.FilePageSize) || c.FilePageSize < MinPageSize || c.FilePageSize > MaxPageSize {
		return bad("aeron.file.page.size", "%d must be a power of two between 4k and 1g", c.FilePageSize)
	}
	for _, m := range []struct {
		name string
		v    int
	}{{"aeron.mtu.length", c.MTULength}, {"aeron.ipc.mtu.length", c.IpcMTULength}} {
		if m.v <= 32 || m.v > MaxUDPPayload || m.v%32 != 0 {
			return bad(m.name, "%d must be greater than 32, at most %d and a multiple of 32", m.v, MaxUDPPayload)
		}
	}
	if c.ConductorBufferLength < 1024+768 || !isPow2(c.ConductorBufferLength-768) {
		return bad("aeron.conductor.buffer.length", "%d must be a power of two plus the 768-byte trailer", c.ConductorBufferLength)
	}
	if c.ClientsBufferLength < 1024+128 || !isPow2(c.ClientsBufferLength-128) {
		return bad("aeron.clients.buffer.length", "%d must be a power of two plus the 128-byte trailer", c.ClientsBufferLength)
	}
	if c.CountersBufferLength < 1024 || c.CountersBufferLength%128 != 0 {
		return bad("aeron.counters.buffer.length", "%d must be at least 1k and a multiple of 128", c.CountersBufferLength)
	}
	if c.ErrorBufferLength < 1024 || c.ErrorBufferLength%8 != 0 {
		return bad("aeron.error.buffer.length", "%d must be at least 1k and a multiple of 8", c.ErrorBufferLength)
	}
	if c.MaxResend < 1 || c.MaxResend > 256 {
		return bad("aeron.max.resend", "%d must be between 1 and 256", c.MaxResend)
	}
	if c.ClientLivenessTimeout <= 0 {
		return bad("aeron.client.liveness.timeout", "must be positive")
	}
	if c.DriverTimeout <= 0 {
		return bad("aeron.driver.timeout", "must be positive")
	}
	if c.TimerInterval <= 0 {
		return bad("aeron.timer.interval", "must be positive")
	}
	if c.PublicationReservedSessionIDLow > c.PublicationReservedSessionIDHigh {
		return bad("aeron.publication.reserved.session.id.low", "%d is above the high end %d", c.PublicationReservedSessionIDLow, c.PublicationReservedSessionIDHigh)
	}
	for _, s := range []struct{ name, v string }{
		{"aeron.conductor.idle.strategy", c.ConductorIdleStrategy},
		{"aeron.sender.idle.strategy", c.SenderIdleStrategy},
		{"aeron.receiver.idle.strategy", c.ReceiverIdleStrategy},
		{"aeron.sharednetwork.idle.strategy", c.SharedNetworkIdleStrategy},
		{"aeron.shared.idle.strategy", c.SharedIdleStrategy},
	} {
		if !ValidIdleStrategy(s.v) {
			return bad(s.name, "%q is not an idle strategy (%s)", s.v, strings.Join(idleStrategies, ", "))
		}
	}
	return nil
}
