// Package xdp tests the AF_XDP backend end to end between two network
// namespaces joined by a veth: datagrams both ways with kernel UDP sockets,
// unicast and multicast, while ping and TCP keep working, each endpoint
// shape the driver opens, and crash safety of the attached program. The
// Aeron-level tests run our driver on the backend against Aeron's Java
// media driver on kernel UDP, each way, on unicast and multicast channels,
// with loss, and across a SIGKILL of our driver.
package xdp
