package backend

import (
	"errors"
	"net/netip"
)

// ErrClosed is returned by every operation on a Transport or Backend after
// Close. Callers test it with errors.Is; it wraps net.ErrClosed semantics.
var ErrClosed = errors.New("backend: closed")

// Message is one datagram in a batch.
//
// On Receive, the backend sets Buf to its own memory holding the payload
// (valid until the next Receive on the same Transport) and Addr to the source.
// On Send, the caller sets Buf to the payload and Addr to the destination; the
// backend does not retain Buf after Send returns.
type Message struct {
	Buf  []byte
	Addr netip.AddrPort
}

// Spec describes the local endpoint of a Transport.
type Spec struct {
	// Local is the address and port to receive on. For a multicast
	// transport it is the group and port. A zero port asks the backend to
	// choose one (LocalAddr reports it).
	Local netip.AddrPort
	// Interface is the local interface address used for multicast
	// membership and as the source of multicast sends; invalid means the
	// backend's default interface.
	Interface netip.Addr
	// Connect, when valid, fixes the only peer this transport sends to and
	// accepts datagrams from (Aeron's send endpoints connect to their
	// destination). Unset leaves the transport unconnected.
	Connect netip.AddrPort
	// MulticastTTL is the IP TTL of multicast sends; 0 keeps the default.
	MulticastTTL int
	// SocketRcvBuf and SocketSndBuf size the kernel buffers where a kernel
	// socket is involved; 0 keeps the operating system's default.
	SocketRcvBuf int
	SocketSndBuf int
	// MaxDatagram is the largest payload the caller will send or expects
	// to receive (the channel MTU); 0 means the backend's default.
	MaxDatagram int
}

// IsMulticast reports whether the spec names a multicast group.
func (s Spec) IsMulticast() bool { return s.Local.Addr().IsMulticast() }

// Transport is one local UDP endpoint opened on a backend.
//
// A Transport is used by one goroutine at a time for Receive and by one at a
// time for Send (the receiver and sender agents may be different goroutines).
type Transport interface {
	// Receive fills msgs[:n] with up to len(msgs) datagrams addressed to
	// this endpoint and returns n without blocking; n == 0 means nothing
	// was waiting. The Buf of each message is lent until the next Receive.
	Receive(msgs []Message) (n int, err error)
	// Send transmits msgs in order and returns how many were accepted;
	// n < len(msgs) with a nil error means the backend is momentarily full
	// (a short send) and the caller may retry the rest later.
	Send(msgs []Message) (n int, err error)
	// LocalAddr is the bound address and port.
	LocalAddr() netip.AddrPort
	// Close releases the endpoint; later calls return ErrClosed.
	Close() error
}

// Backend is an implementation of the network path.
type Backend interface {
	// Name is the registry name ("udp", "xdp", "dpdk").
	Name() string
	// Open binds a transport for a local endpoint.
	Open(spec Spec) (Transport, error)
	// BatchSize is the number of messages per Receive or Send call the
	// backend handles best.
	BatchSize() int
	// Stats returns the backend's counters summed over its transports.
	Stats() Stats
	// Close closes every transport and releases the backend.
	Close() error
}

// Stats are a backend's cumulative counters.
type Stats struct {
	DatagramsIn  uint64
	BytesIn      uint64
	DatagramsOut uint64
	BytesOut     uint64
	// Drops counts datagrams lost inside the backend (ring full, no
	// buffer, short send that the caller did not retry).
	Drops uint64
	// Errors counts failed system calls or device operations.
	Errors uint64
}
