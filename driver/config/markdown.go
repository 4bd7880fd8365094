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
	b.WriteString("suffixes; durations are nanoseconds or carry a unit (`ns`, `us`, `ms`, `s`); a boolean\n")
	b.WriteString("flag given bare (`--dir-delete-on-start`) is true.\n")
	b.WriteString("Configuration files are read by extension: `.properties` (as Aeron's Java driver reads\n")
	b.WriteString("them), `.yaml`/`.yml` and `.toml`, keyed by property name. An unknown key in a file, flag or\n")
	b.WriteString("`-D` argument is refused; a bad value is refused with the setting and the reason.\n\n")
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
	b.WriteString("\nOther `AERON_*` variables that Aeron's C driver defines are logged once as ignored;\n")
	b.WriteString("`AERON_*` variables unknown to Aeron too are logged as unknown. Neither stops start-up.\n")
	return b.String()
}
