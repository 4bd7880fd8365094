// Package bpf will hold the XDP program that steers only the driver's own
// UDP endpoints into AF_XDP sockets and passes every other packet to Linux,
// with its bpf2go-generated loader, attached as a bpf_link so that a crashed
// driver leaves nothing behind. Until it lands, the xdp backend's probe
// reports the datapath as missing.
package bpf
