// Package counters is the counters section of cnc.dat: 512-byte metadata
// records (state, type id, reuse deadline, key, label) beside 128-byte value
// records (value, registration id, owner id, reference id), as Aeron's
// CountersManager and CountersReader lay them out (aeron_counters_manager.h,
// aeronc.h). The driver allocates; clients and tools such as AeronStat read.
package counters
