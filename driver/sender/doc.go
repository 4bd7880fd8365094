// Package sender is the driver's sender agent: it sends each network
// publication's SETUP, DATA and heartbeats from the log buffers through the
// backend, in MTU-sized batches limited by flow control, answers NAKs with
// retransmissions and RTT measurements with replies, and tracks the
// receivers of multi-destination-cast channels. The conductor creates
// publications and endpoints and hands them over; fields shared with it are
// atomics or counters.
package sender
