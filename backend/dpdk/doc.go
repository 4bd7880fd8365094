// Package dpdk is the DPDK backend: a poll-mode driver owns the NIC (AWS ENA,
// GCP gVNIC) and the backend answers ARP and ICMP for it. It is built only
// with the dpdk build tag and libdpdk installed.
package dpdk
