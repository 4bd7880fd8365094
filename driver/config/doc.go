// Package config holds the media driver's settings. Every setting answers to
// three names, as in Aeron: the property name (aeron.term.buffer.length),
// its environment variable (AERON_TERM_BUFFER_LENGTH: upper case, dots to
// underscores) and a command-line flag (--term-buffer-length). Values take
// Aeron's syntax: sizes like 64k or 16m, durations in nanoseconds or with a
// unit. Defaults are those of Aeron's C media driver.
//
// Precedence is flags, then environment, then a configuration file (Java
// properties, YAML or TOML), then defaults, resolved through viper.
package config
