package bpf

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go -target bpfel -cflags "-O2 -g -Wall -I/usr/include/x86_64-linux-gnu" steer src/steer.c
