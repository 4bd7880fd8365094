// Package command holds the messages of Aeron's client-driver control
// protocol (fact sheet §7; aeron_control_protocol.h and
// io.aeron.command.*Flyweight): the type ids of the commands clients write
// into the to-driver ring buffer and of the responses the driver
// broadcasts, Aeron's error codes, and an encoder and a decoder for every
// message body.
//
// Layouts are packed with 8-byte fields at 4-byte alignment (C
// `#pragma pack(4)`); strings are an int32 length and the bytes, with no
// terminator, padded to 4 bytes only where another length field follows
// (the counter key, the image log file name).
//
// Decoders check every length against the record before reading, so a
// malformed command from a client yields an error wrapping ErrMalformed,
// never a panic. Strings are returned as views into the record (valid only
// while it is), so decoding allocates nothing. Encoders write into a
// caller's buffer, allocate nothing, and fail with ErrBufferTooSmall.
package command
