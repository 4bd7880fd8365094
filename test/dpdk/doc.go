// Package dpdk tests the DPDK backend end to end between two network
// namespaces joined by a veth. In one namespace DPDK drives the veth
// through the net_af_packet vdev with --no-huge and --no-pci; that veth has
// no IP address, so the only ARP and ping answers for the backend's address
// are its own.
//
// At the datagram level a kernel UDP socket, ping and a packet socket are
// the peer: datagrams cross both ways, the peer's ARP and ping get answers,
// the backend resolves next hops (on link and through a gateway) by ARP,
// and a multicast join sends IGMP. EAL can be initialised only once per
// process, so each of these tests runs the DPDK side in a child process
// (this test binary again, under ip netns exec) that it drives line by line
// over stdin and stdout. The benchmark instead initialises EAL in its own
// process on a thread switched into the namespace, as a driver does.
//
// At the Aeron level aeron-bypass, built with the dpdk tag, runs on
// --backend dpdk with the vdev and its own address from the
// aeron.bypass.dpdk.* settings, against Aeron's Java media driver on kernel
// UDP in the other namespace: seeded messages of mixed sizes both ways,
// with and without the loss interceptor, many channels at once from the Go
// client, and what `aeron-bypass probe` says about DPDK.
//
// The tests need the dpdk build tag, root and libdpdk's af_packet driver;
// the Aeron-level ones also Java 17 and the aeron-all jar (make java-deps).
package dpdk
