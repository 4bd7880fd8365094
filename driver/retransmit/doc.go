// Package retransmit decides when a publication resends what a NAK asked
// for (Aeron's RetransmitHandler, aeron_retransmit_handler.c; fact sheet
// §1.12.7).
//
// A Handler belongs to one network publication and runs on the sender's
// thread. It keeps a fixed pool of retransmit actions: one for unicast,
// MaxResend (aeron.max.resend or the max-resend URI parameter, default 16)
// for multicast and multi-destination channels. Each action is inactive,
// delayed (waiting DelayNs, aeron.retransmit.unicast.delay, default 0
// before resending) or lingering (resent; for LingerNs,
// aeron.retransmit.unicast.linger, default 10ms, NAKs whose term id matches
// and whose offset falls inside the resent range are ignored, since the
// resend is still on its way).
//
// A NAK that does not fall inside an active action takes an action: on
// unicast the single one, replacing whatever it held (the previous resend
// is taken to have worked); on groups a free one, or, with none free, the
// NAK is dropped and the Retransmit Pool Overflow counter bumped. With no
// delay the resend happens inside OnNak; otherwise ProcessTimeouts does it
// once the delay has passed, and frees lingering actions whose time is up.
//
// The pool is allocated by New; OnNak and ProcessTimeouts allocate nothing.
// Nothing is safe for concurrent use.
package retransmit
