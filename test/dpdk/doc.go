// Package dpdk tests the DPDK backend end to end between two network
// namespaces joined by a veth. In one namespace DPDK drives the veth
// through the net_af_packet vdev with --no-huge and --no-pci; that veth has
// no IP address, so the only ARP and ping answers for the backend's address
// are its own. In the other a kernel UDP socket, ping and a packet socket
// are the peer: datagrams cross both ways, the peer's ARP and ping get
// answers, the backend resolves next hops (on link and through a gateway)
// by ARP, and a multicast join sends IGMP.
//
// EAL can be initialised only once per process, so each test runs the
// DPDK side in a child process (this test binary again, under ip netns
// exec) that it drives line by line over stdin and stdout. The benchmark
// instead initialises EAL in its own process on a thread switched into the
// namespace, as a driver does.
//
// The tests need the dpdk build tag, root and libdpdk's af_packet driver.
package dpdk
