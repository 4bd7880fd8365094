// Package errorlog is the distinct error log in cnc.dat: each distinct error
// is recorded once with a count and first and last observation times
// (aeron_distinct_error_log.c), so a flood of one error cannot fill the
// log. Aeron's ErrorStat and our own tools read it.
package errorlog
