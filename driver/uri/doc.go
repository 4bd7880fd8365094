// Package uri parses Aeron channel URIs: aeron:ipc and aeron:udp with
// key=value parameters separated by '|', optionally prefixed by aeron-spy:
// (aeron_uri.c, ChannelUri.java). Errors name the parameter and the reason,
// because they go back to the client that asked for the channel.
package uri
