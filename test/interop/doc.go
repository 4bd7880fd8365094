// Package interop holds Aeron's own Java client, samples and tools to the
// same expectations against two drivers: Aeron's Java media driver and
// aeron-bypass. The Java programs under java/ are compiled with javac at
// test time against io.aeron:aeron-all (make java-deps).
package interop
