// Package backendtest is an in-memory backend.Backend for tests of the
// layers above the network path (sender, receiver, conductor) that need no
// privileges and no sockets.
//
// Transports live in a Network and are addressed by netip.AddrPort. A
// datagram sent to an address is copied into the queue of the transport
// bound there (or bound to the wildcard address on that port), or into the
// queue of every member of a multicast group. Faults are seeded and
// repeatable: Options set drop, duplicate and reorder rates, and an Inspect
// hook sees every datagram and may decide its fate. The package is not
// registered with the backend registry; tests construct it with New.
package backendtest
