//go:build !dpdk

package dpdk

// Built reports whether the binding is compiled in (the dpdk build tag).
const Built = false
