// Package protocol encodes and decodes the frames of Aeron's UDP wire
// protocol: DATA and PAD, SETUP, status messages (SM), NAK, ERR, RTTM, RES
// and response SETUP.
//
// Layouts follow aeron-client/src/main/c/protocol/aeron_udp_protocol.h: every
// field is little-endian, frames begin with the common 8-byte header (frame
// length, version, flags, type), and C's #pragma pack(4) leaves some 64-bit
// fields at 4-byte offsets (the SM receiver id at 28), so fields are read and
// written by explicit offset, never by casting.
//
// Decoders validate before they read: a datagram from the network that is
// truncated, of the wrong version or of an unknown type yields an error the
// caller counts as an invalid packet, never a panic. Nothing here allocates.
package protocol
