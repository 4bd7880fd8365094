// Package dpdk will hold the cgo binding to DPDK (built with the dpdk tag)
// that the dpdk backend uses: EAL set-up, ports, mbuf pools and RX/TX bursts
// through thin C shims. Until it lands, the backend's probe says so.
package dpdk
