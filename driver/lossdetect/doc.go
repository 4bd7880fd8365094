// Package lossdetect finds gaps in an image's term and decides when to NAK
// them (Aeron's LossDetector, FeedbackDelayGenerator and its static and
// optimal-multicast generators; aeron_loss_detector.c; fact sheet §1.12.6).
//
// A Detector belongs to one image and runs on the receiver's thread: each
// Scan walks the term from the rebuild position towards the high-water mark
// with logbuffer.ScanForGap and tracks a single active gap. A gap that
// differs from the active one (term id, offset or length) replaces it and
// arms a timer with the generator's first delay; when the timer expires the
// Handler is told to NAK the gap and the timer is re-armed with the retry
// delay. A gap that fills before its timer expires is never NAKed.
//
// Delay generators:
//   - NewStatic: unicast, a fixed first delay and a fixed retry delay
//     (aeron.nak.unicast.delay, default 1µs, and that times
//     aeron.nak.unicast.retry.delay.ratio, default 100).
//   - NewOptimalMulticast: multicast and group channels, the randomized
//     exponential back-off of RFC 5401 §3.2.1 bounded by a maximum back-off
//     (aeron.nak.multicast.max.backoff, default 10ms) and an estimated group
//     size (aeron.nak.multicast.group.size, default 10), for first and retry
//     delays alike, so that receivers sharing a loss rarely NAK together.
//
// Unreliable images (reliable=false) use NewStatic(0, 0): the detector
// reports every gap at once and the image, not the detector, pads it with
// logbuffer.FillGap instead of sending a NAK, as Aeron's PublicationImage
// does. The detector has no other part in it.
//
// Nothing here allocates after construction and nothing is safe for
// concurrent use: one agent thread owns each Detector and generator.
package lossdetect
