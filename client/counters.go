package client

import "github.com/aeron-bypass/aeron-bypass/driver/shm/counters"

// CountersReader is a read-only view of the driver's counters, for tools
// (CountersReader.java).
type CountersReader = counters.Reader

// CountersReader returns a reader over the driver's counters in cnc.dat.
func (c *Client) CountersReader() *CountersReader {
	f := c.cncFile
	return counters.NewReader(f.CountersMetadata(), f.CountersValues())
}
