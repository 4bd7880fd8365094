// Package xdp is the AF_XDP backend: an XDP program (package bpf) steers
// only the driver's own UDP endpoints into AF_XDP sockets (package xsk) and
// passes everything else to Linux, so the interface stays usable.
//
// Its probe checks what the kernel and the process can do: privileges, the
// AF_XDP socket family, and the configured interface.
package xdp
