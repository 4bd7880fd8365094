// Package xdp is the AF_XDP backend: an XDP program (package bpf) steers
// only the driver's own UDP endpoints into AF_XDP sockets (package xsk) and
// passes everything else to Linux, so the interface stays usable for ARP,
// ICMP, TCP and other UDP.
//
// New readies the interface through netlink and ethtool (package netdev:
// brings it up, checks its MTU against the receive frames and the channel
// MTU, sets the queue count if configured, all put back on Close),
// attaches the program through a bpf_link (native mode, generic as the
// fallback) and binds one socket per queue (zero-copy, copy as the
// fallback). Each Open adds the endpoint to the program's map (a wildcard
// address: each of the interface's IPv4 addresses, following addresses
// added and removed later through a netlink watch, as a kernel socket
// bound to 0.0.0.0 would) and reserves the port with a kernel UDP socket,
// which also holds multicast membership so Linux keeps answering IGMP.
// What the program leaves to Linux for an endpoint's port (IP fragments,
// reassembled; datagrams on a queue with no AF_XDP socket) reaches that
// kernel socket, which Receive also reads now and then, so it is not lost.
// Receive demultiplexes the RX rings: the caller's datagrams are lent straight from UMEM frames until its next
// Receive, other endpoints' datagrams are copied to their side rings. Send
// builds Ethernet/IPv4/UDP frames into UMEM frames with the next hop's MAC
// and submits them as one batch; the MAC comes from a resolver that follows
// the kernel's neighbour table, so a peer's new MAC or failure is seen
// without a look-up per send.
//
// Attached opens the program a running driver put on an interface, from
// any process in its namespace, to read the program's counters (redirected
// to AF_XDP, passed to Linux) and the endpoints it steers; the backend also
// logs the counters when it closes.
//
// The probe checks capabilities (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF or
// CAP_SYS_ADMIN), the AF_XDP socket family, loading the program, the
// configured interface and its MTU, and attaches the program and binds a
// socket for a moment to report native or generic and zero-copy or copy.
package xdp
