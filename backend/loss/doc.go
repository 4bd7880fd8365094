// Package loss drops datagrams on purpose, for testing recovery: it wraps
// any backend and discards a seeded fraction of the datagrams of chosen
// Aeron frame types, on receive, on send, or both.
//
// It is configured as Aeron's C driver configures its loss interceptor:
// AERON_UDP_CHANNEL_INCOMING_INTERCEPTORS=loss (or OUTGOING) and
// AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_LOSS_ARGS=rate=0.05|seed=7|recv-msg-mask=0x3,
// where the mask has bit N set for frame type N (DATA is 1, so 0x2 drops
// data frames only; 0xF drops PAD, DATA, NAK and SM). Unlike Aeron's, each
// transport draws from its own generator seeded with the seed, so which
// datagrams are lost does not depend on other channels' traffic.
package loss
