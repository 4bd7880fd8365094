// Package uri parses Aeron channel URIs (fact sheet §8): aeron:ipc and
// aeron:udp with key=value parameters separated by '|', optionally prefixed
// by aeron-spy: (aeron-client/src/main/c/uri/aeron_uri.c, ChannelUri.java).
//
// Aeron's grammar has no escapes: a key ends at the first '=', a value at
// the next '|', so a value may hold '=' but never '|'. Parse keeps the
// parameters in the order given and String renders them back unchanged.
// Unknown keys are kept and ignored, as Aeron ignores them.
//
// Typed accessors read and validate each parameter of §8.2 (sizes with
// k/m/g suffixes, durations with ns/us/ms/s, booleans, tag references).
// Their errors are *ParamError values naming the channel, the parameter and
// the reason, because they go back to the client that asked for the
// channel.
package uri
