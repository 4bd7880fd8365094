// Package bpf holds the XDP program that steers only the driver's own UDP
// endpoints into AF_XDP sockets and passes every other packet to Linux, and
// its loader.
//
// The program (src/steer.c) is compiled by bpf2go into steer_bpfel.o, which is
// committed with its generated Go wrapper; `make generate` rebuilds both and
// TestGeneratedObjectIsCurrent checks that the committed object matches the
// source. The program is attached through a bpf_link, so it leaves the
// interface when the process that attached it dies, even by SIGKILL.
package bpf
