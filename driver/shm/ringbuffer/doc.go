// Package ringbuffer is the many-to-one ring buffer in cnc.dat that carries
// commands from every client process to the driver's conductor. The layout
// (records of length, type and payload, 8-byte aligned, then a 768-byte
// trailer of tail, head cache, head, correlation counter and consumer
// heartbeat, each on its own 128 bytes) is Aeron's and Agrona's
// (aeron_rb.h, aeron_mpsc_rb.c, ManyToOneRingBuffer).
package ringbuffer
