//go:build !dpdk

package dpdk

// Built reports whether the binding is compiled in (the dpdk build tag).
const Built = false

// Version is empty without the binding.
func Version() string { return "" }

// EALArgs is nil without the binding: EAL never runs.
func EALArgs() []string { return nil }

// HasPMD is false without the binding.
func HasPMD(string) bool { return false }
