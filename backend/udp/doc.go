// Package udp is the kernel UDP backend: one non-blocking socket per
// transport, moved in batches with recvmmsg and sendmmsg so that a duty
// cycle costs one system call per batch rather than per datagram. It is
// always available and ranks last, below the bypass backends.
//
// Socket options follow Aeron's C driver (media/aeron_udp_channel_transport.c):
// multicast sockets set SO_REUSEADDR, bind to the group, join it on the
// configured interface, and send with IP_MULTICAST_IF, a TTL and loopback on;
// send sockets connect to a fixed peer when asked.
package udp
