// Package logbuffer is the log of a publication or image: three term
// partitions and a 4096-byte metadata section in one mapped file, shared by
// the driver and every client of the stream (fact sheet §2;
// aeron_logbuffer_descriptor.h, LogBufferDescriptor.java).
//
// It holds:
//   - the file: CreateLog (sparse or fully allocated) and MapLog, giving
//     LogBuffers with Terms and the Meta section;
//   - the metadata layout (§2.2) as free accessors over the Meta buffer
//     (RawTailVolatile, ActiveTermCount, InitialTermID, MTULength, ...) and
//     Meta.Initialise, which lays a new log out as the driver does;
//   - the raw tail encoding (§2.3: PackTail, TermID, TermOffset) and
//     position arithmetic (§2.4: ComputePosition, IndexByPosition, ...);
//   - the publishers' side (§2.5): HeaderWriter, Appender (concurrent,
//     fetch-and-add claims), ExclusiveAppender, BufferClaim;
//   - the consumers' and driver's side (§2.6): Read (subscriber poll),
//     ScanForAvailability (sender), Insert (receiver rebuild), ScanForGap
//     (loss detection), FillGap (unreliable images), Unblock (stuck
//     publications) and Clean.
//
// Frames are published by storing their length last with release order;
// readers load it with acquire order and treat zero or negative lengths as
// "not yet written". Functions that read terms written by other processes
// or datagrams from the network check bounds rather than trust lengths.
package logbuffer
