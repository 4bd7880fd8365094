// Package conductor is the media driver's conductor agent
// (aeron_driver_conductor.c, DriverConductor.java): it reads the commands
// clients write into cnc.dat's ring buffer, owns every client, publication,
// subscription and counter, answers on the broadcast buffer, keeps the
// driver's heartbeat, times out dead clients and releases what they held,
// and runs IPC publications: limits from subscriber positions, cleaning,
// unblocking stalled publishers, end of stream and linger.
//
// Everything here runs on the conductor's own thread; other agents reach it
// only through commands.
package conductor
