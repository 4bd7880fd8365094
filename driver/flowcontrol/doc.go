// Package flowcontrol holds the sender's flow control strategies: how far
// ahead of its receivers a network publication may send (the sender limit,
// snd-lmt), given the status messages (SM) they return.
//
// The strategies are Aeron's, with Aeron's names and semantics
// (aeron-driver/src/main/c/aeron_flow_control.c, aeron_min_flow_control.c and
// the Java FlowControl implementations in io.aeron.driver):
//
//   - unicast: the limit is the furthest right edge (SM position + receiver
//     window) any SM has shown; receivers are not tracked.
//   - max: the same for multicast and multi-destination channels; the default
//     there.
//   - min: every receiver is tracked by its receiver id; the limit is the
//     nearest right edge, so the slowest receiver paces the stream. Receivers
//     leave on EOS, on an ERR frame or after a silence of the receiver timeout.
//     A group minimum size holds the publication unconnected (and the limit
//     still) until that many receivers are present.
//   - tagged: like min, counting only receivers whose SMs carry the
//     strategy's group tag.
//
// New builds a strategy from a channel's fc URI value, in Aeron's grammar:
// the strategy name, then comma-separated options g:<tag>[/<minSize>] or
// g:/<minSize> (group), t:<duration> (receiver timeout) and rrwm:<n> (the
// retransmit receiver window multiple that caps a NAK's resend, see
// MaxRetransmissionLength).
//
// A Strategy belongs to one publication and is used by one thread, the
// sender's: it has no locks. Its per-SM and per-idle methods allocate nothing
// once the receivers are known.
package flowcontrol
