// Package dpdk is the cgo binding to DPDK that the dpdk backend runs on:
// the Environment Abstraction Layer (EAL) initialised once per process,
// an Ethernet port with its mbuf pool, RSS over several queues, checksum
// offloads where the poll-mode driver has them, link status, statistics
// and extended statistics, and receive and transmit bursts.
//
// The binding is compiled only with the dpdk build tag, because it needs
// cgo and libdpdk (found through pkg-config libdpdk; DPDK 22.11 as in
// Debian 12, or newer). Without the tag the package holds only the EAL
// configuration and its argument list, which are pure Go, and Available
// reports false.
//
// DPDK's burst functions are inline in its headers, so Go reaches them
// through small C functions in the cgo preamble that move a whole burst per
// call: one crossing per burst, not per packet. Received frames are lent
// as views into mbuf memory (outside the Go heap) and freed in bulk; frames
// to send are built straight into mbufs. Nothing on the burst path
// allocates Go memory.
//
// rte_eal_init may run only once in a process: InitEAL remembers the
// arguments it ran with, returns nil when asked again with the same ones
// and an error otherwise. It runs on the calling thread, so a caller that
// wants the poll-mode drivers in another network namespace (af_packet and
// af_xdp vdevs open their sockets during initialisation) locks its OS
// thread and enters the namespace first. EAL pins the calling thread to
// its main lcore; InitEAL restores the thread's CPU affinity afterwards so
// the Go scheduler's thread is not left pinned.
package dpdk
