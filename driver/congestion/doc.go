// Package congestion holds the receiver's congestion control: the window an
// image advertises in its status messages, and whether one must go out now.
//
// Two controls, with Aeron's names and semantics
// (aeron-driver/src/main/c/aeron_congestion_control.c,
// io.aeron.driver.StaticWindowCongestionControl and
// io.aeron.driver.ext.CubicCongestionControl):
//
//   - static (the default, cc=static): a fixed window,
//     min(initial window, termLength/2).
//   - cubic (cc=cubic): CUBIC (RFC 8312) counted in MTUs. The window starts
//     at 10 MTUs, drops by a fifth on loss and grows back along
//     C·(t−K)³ + Wmax with C = 0.4, at most once per RTT estimate; an
//     optional TCP-friendly region grows it at least as fast as Reno would.
//     The RTT comes from RTTM frames when measurement is on.
//
// A Control belongs to one image and is used by one thread, the receiver's:
// it has no locks, and its per-cycle methods allocate nothing.
package congestion
