// Package cnc is the command-and-control file, cnc.dat: a 128-byte metadata
// header (version, section lengths, client liveness timeout, start time,
// pid, page size) followed by the to-driver ring buffer, the to-clients
// broadcast buffer, the counters metadata and values, and the error log
// (aeron_cnc_file_descriptor.h). The version is written last: a non-zero
// version tells clients the file is ready.
package cnc
