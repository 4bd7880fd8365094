// Package frame builds and parses the Ethernet, IPv4 and UDP headers of the
// datagrams that bypass backends (AF_XDP, DPDK) put on the wire themselves.
//
// Everything works in place on caller-owned byte slices and allocates
// nothing, because it runs on every datagram sent or received. The parser
// accepts one or two 802.1Q/802.1ad VLAN tags and IPv4 options, and rejects
// IP fragments, which the kernel must reassemble.
package frame
