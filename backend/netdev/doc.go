// Package netdev finds and prepares what a bypass backend needs from the
// kernel's network configuration, through rtnetlink and ethtool: an
// interface's index, MAC, MTU, IPv4 address and queue count; the interface
// and next hop towards a destination (the kernel's routing table); and the
// Ethernet address of that next hop (the kernel's neighbour table).
//
// A Namespace is opened on a thread inside the network namespace it
// describes. Its netlink and ioctl sockets stay in that namespace, so later
// calls answer for it from any thread; the AF_XDP backend opens one on its
// namespace-switched thread and then serves senders and receivers from
// others.
//
// Prepare readies an interface for XDP: it brings the link up, checks that
// its MTU fits both the receive frames and the channels' MTU, and reads or
// sets the queue (channel) count; Restore puts back what Prepare changed.
//
// A Resolver keeps the next hops a backend sends to in a cache that the
// send path reads with one atomic load. Datagrams sent around the kernel do
// not refresh its neighbour entries, so the Resolver does what the kernel
// would do for its own traffic: it asks for resolution (a netlink request
// with NTF_USE, the flag the kernel's own senders set by using an entry)
// when an entry is missing, stale or failed, and follows the kernel's
// neighbour notifications so that a changed MAC or a failed peer is seen at
// once.
//
// Multicast groups need no resolution: their Ethernet address is mapped
// from the group (frame.MulticastMAC). The AF_XDP backend joins groups
// through a kernel socket so that Linux keeps answering IGMP queries.
package netdev
