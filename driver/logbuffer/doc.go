// Package logbuffer is the log of a publication or image: three term
// partitions and a 4096-byte metadata section in one mapped file, shared by
// the driver and every client of the stream (aeron_logbuffer_descriptor.h,
// LogBufferDescriptor.java). It holds the layout, the raw tail encoding and
// position arithmetic, the appender publishers use, and the reader,
// scanner, rebuilder and unblocker the driver and subscribers use.
//
// Frames are published by storing their length last with release order;
// readers load it with acquire order and treat zero or negative lengths as
// "not yet written".
package logbuffer
