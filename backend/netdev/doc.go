// Package netdev finds what a bypass backend needs to know about a network
// interface: its index, MAC, MTU, IPv4 address and queue count, and the
// Ethernet address of the next hop towards a destination, from the
// kernel's routing and neighbour tables.
//
// The tables are read from /proc/net/route and /proc/net/arp through files
// opened once, when the Resolver is made: a /proc/net file keeps the
// network namespace it was opened in, so later look-ups from any thread
// see the interface's namespace. A missing neighbour is resolved by the
// kernel after a datagram is sent towards it through a kernel socket.
package netdev
