// Package chaos is a UDP relay that impairs the traffic it forwards: seeded
// drop, duplication, reordering and delay, separately for each direction.
//
// The kernel has no netem here, and an impairment built into either driver
// would be tested by itself, so the relay sits between the two hosts as a
// third party: the sending side addresses the relay, the relay forwards to
// the real destination from a socket of its own per source, and replies
// (status messages, NAKs) travel back the same way. Aeron's receivers answer
// the source address of the data they receive, so both drivers work through
// it unchanged.
//
// Every decision comes from a seeded generator, so a failing run can be
// replayed with the same seed.
package chaos
