package config

import (
	"fmt"
	"strings"
)

// Markdown renders the property table as docs/CONFIGURATION.md holds it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("Generated from `driver/config/properties.go` (`go test ./driver/config -run TestConfigurationDoc -update`).\n\n")
	b.WriteString("Each setting is a property (in a `--config` file, or `-Dname=value`), an environment\n")
	b.WriteString("variable and a flag. Precedence: flags, environment, file, default. Sizes take `k`, `m`, `g`\n")
	b.WriteString("suffixes; durations are nanoseconds or carry a unit (`ns`, `us`, `ms`, `s`).\n\n")
	b.WriteString("| property | environment | flag | default | description |\n|---|---|---|---|---|\n")
	for _, p := range Properties {
		def := p.Default
		if def == "" {
			def = "—"
		}
		desc := p.Description
		if p.Kind == Enum {
			desc += " (" + strings.Join(p.Values, ", ") + ")"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `--%s` | `%s` | %s |\n", p.Name, EnvName(p.Name), FlagName(p.Name), def, desc)
	}
	b.WriteString("\nOther `AERON_*` variables that Aeron's C driver defines are logged once as ignored.\n")
	return b.String()
}
