//go:build dpdk

package dpdk

const unavailable = "built with the dpdk tag, but the DPDK datapath is not part of this build yet"
