//go:build !dpdk

package dpdk

const unavailable = "not built in (build with -tags dpdk; needs libdpdk-dev)"
