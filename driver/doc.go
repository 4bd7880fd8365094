// Package driver is the aeron-bypass media driver: it prepares aeron.dir,
// chooses the network backend, and runs the conductor, sender and receiver
// agents in the configured threading mode. Applications reach it only
// through the files in aeron.dir, exactly as they reach Aeron's own drivers.
package driver
