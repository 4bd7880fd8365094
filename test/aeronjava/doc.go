// Package aeronjava runs Aeron's own Java media driver, samples and small
// Java programs beside our code, so tests compare against the real thing.
// The jar is io.aeron:aeron-all from Maven Central (`make java-deps`).
package aeronjava
