// Package xdp tests the AF_XDP backend end to end between two network
// namespaces joined by a veth: datagrams both ways with kernel UDP sockets,
// unicast and multicast, while ping and TCP keep working, and crash safety
// of the attached program.
package xdp
