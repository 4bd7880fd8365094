// Package receiver is the driver's receiver agent: receive channel
// endpoints read datagrams through the backend and dispatch them by stream
// and session to publication images, which rebuild the log, detect gaps and
// NAK them, and send status messages carrying the consumption position and
// receiver window. SETUP frames for streams with subscriptions become image
// requests to the conductor, which owns every image's lifecycle.
package receiver
