// Package backend defines the media driver's network path: the interface the
// sender and receiver agents use to move batches of UDP datagrams, and the
// registry that probes the available implementations (AF_XDP, DPDK, kernel
// UDP) and picks the fastest one that works on this machine.
//
// The shape follows two observations. First, Aeron's agents are duty-cycle
// pollers: they must never block in the network path, so Receive and Send are
// non-blocking and report how much they moved. Second, a bypass backend owns
// a NIC queue that carries the datagrams of every endpoint, so a Transport is
// a view onto one local (address, port) that the backend demultiplexes itself;
// the agents never learn whether a socket, a UMEM or an mbuf pool sits below.
//
// Buffers belong to whoever is fastest at owning them: on receive the backend
// lends its own buffers (socket scratch space, UMEM frames, mbufs) until the
// next Receive on the same Transport; on send the caller lends its buffers
// (usually slices of a term buffer) for the duration of the call.
package backend
