//go:build dpdk

package dpdk

// unavailable is the probe's reason when built with the dpdk tag: the tag is
// reserved for the DPDK datapath, which this build does not contain yet.
const unavailable = "DPDK backend not implemented in this build"
