// Package broadcast is the one-to-many buffer in cnc.dat that carries the
// driver's responses and notifications to every client. Records (length,
// type, payload, 8-byte aligned) are followed by a 128-byte trailer of tail
// intent, tail and latest counters (aeron_broadcast_descriptor.h). Receivers
// that fall a whole buffer behind are lapped and lose records, which they
// can detect.
package broadcast
