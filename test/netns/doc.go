// Package netns builds real links for tests: network namespaces joined by
// veth pairs, addressed from 198.18.0.0/15 (the benchmarking range, never
// routed), torn down when the test ends, also when it fails or panics.
//
// Two hosts share one link. Three hosts form a chain A - R - B in which R
// forwards between two links, so that a relay or an impairment can sit in
// the middle. Names carry the test process id, so parallel test packages do
// not collide, and namespaces left behind by a killed run are removed the
// next time a harness starts.
package netns
