// Package client is a Go Aeron client: it talks to a media driver (ours or
// Aeron's own) through cnc.dat's to-driver ring buffer and to-clients
// broadcast buffer (fact sheet §3-§5, §7), and publishes and subscribes by
// writing and reading the driver's log buffers directly (§2).
//
// Connect returns a Client whose conductor runs on its own goroutine
// (Aeron's agent mode) or, with Config.UseInvoker, whenever the application
// calls DoWork. Publications offer without allocating; subscriptions poll
// their images without allocating. AddCounter allocates an application
// counter in cnc.dat that other processes read, as AeronStat does.
package client
