// Package dpdk registers the DPDK backend with the backend registry, at rank
// 10 (tried before xdp at 20 and udp at 100). The intended datapath gives the
// NIC to a DPDK poll-mode driver (AWS ENA, GCP gVNIC; vfio-pci, hugepages) and
// is opt-in with the dpdk build tag because it needs cgo and libdpdk. This
// build does not contain it yet: the probe always says unavailable and why,
// so auto selection moves on and --backend dpdk fails fast with that reason.
package dpdk
