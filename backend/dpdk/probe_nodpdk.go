//go:build !dpdk

package dpdk

// unavailable is the probe's reason in a default build: DPDK needs cgo and
// libdpdk, so it is opt-in.
const unavailable = "not built in (build with -tags dpdk; needs libdpdk-dev)"
