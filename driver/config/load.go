package config

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvName is the environment variable of a property: upper case, dots to
// underscores (aeron.dir -> AERON_DIR), as Aeron's C driver reads them.
func EnvName(property string) string {
	return strings.ToUpper(strings.ReplaceAll(property, ".", "_"))
}

// FlagName is the command-line flag of a property: the name without its
// "aeron." (or "aeron.bypass.") prefix, dots and underscores to dashes.
// aeron.dir keeps its prefix (--aeron-dir), since a bare --dir says little.
// Every flag also answers to its long form with the aeron- prefix
// (--aeron-term-buffer-length), through NormalizeFlag.
func FlagName(property string) string {
	if property == "aeron.dir" {
		return "aeron-dir"
	}
	n := strings.TrimPrefix(property, "aeron.")
	n = strings.TrimPrefix(n, "bypass.")
	return strings.NewReplacer(".", "-", "_", "-").Replace(n)
}

// NormalizeFlag maps the long forms --aeron-x-y and --aeron-bypass-x to the
// registered flag names; install it with FlagSet.SetNormalizeFunc.
func NormalizeFlag(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "dir" {
		return "aeron-dir"
	}
	if name != "aeron-dir" {
		name = strings.TrimPrefix(name, "aeron-")
		name = strings.TrimPrefix(name, "bypass-")
	}
	return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
}

// ConfigFlag is the flag naming a configuration file.
const ConfigFlag = "config"

// RegisterFlags adds one flag per property to fs, and --config. Flags take
// values in property syntax, so they are all strings; a boolean one given
// bare is true.
func RegisterFlags(fs *pflag.FlagSet) {
	fs.SetNormalizeFunc(NormalizeFlag)
	fs.String(ConfigFlag, "", "configuration file (.properties, .yaml or .toml)")
	for _, p := range Properties {
		usage := p.Description + " (" + p.Name + ", " + EnvName(p.Name)
		if p.Default != "" {
			usage += ", default " + p.Default
		}
		fs.String(FlagName(p.Name), "", usage+")")
		if p.Kind == Bool {
			// A bare --flag means true, as for any boolean flag.
			fs.Lookup(FlagName(p.Name)).NoOptDefVal = "true"
		}
	}
}

// TranslateJavaArgs turns Aeron's -Dname=value arguments (which aeronmd
// accepts) into the equivalent flags. Unknown property names are refused.
func TranslateJavaArgs(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if !strings.HasPrefix(a, "-D") || !strings.Contains(a, "=") {
			out = append(out, a)
			continue
		}
		name, value, _ := strings.Cut(a[2:], "=")
		if _, ok := Lookup(name); !ok {
			return nil, fmt.Errorf("unknown property %q in %s", name, a)
		}
		out = append(out, "--"+FlagName(name)+"="+value)
	}
	return out, nil
}

// Lookup finds a property by its Aeron name (case-insensitive).
func Lookup(name string) (Property, bool) {
	for _, p := range Properties {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Property{}, false
}

// Source says where Load reads settings from.
type Source struct {
	// Flags holds flags registered by RegisterFlags (may be nil).
	Flags *pflag.FlagSet
	// Environ is the environment, as os.Environ returns it.
	Environ []string
	// File is a configuration file; empty for none. When empty and Flags
	// has --config set, that file is used.
	File string
}

// Notice is something Load noticed and the caller should log once.
type Notice string

// Default returns Aeron's defaults, with aeron.dir for the current user.
func Default() Config {
	var c Config
	for _, p := range Properties {
		if p.Default == "" {
			continue
		}
		if err := set(&c, p, p.Default); err != nil {
			panic("config: bad default for " + p.Name + ": " + err.Error())
		}
	}
	c.Dir = DefaultDir()
	return c
}

// DefaultDir is Aeron's default aeron.dir on Linux: /dev/shm/aeron-<user>.
func DefaultDir() string {
	name := os.Getenv("USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		} else {
			name = "default"
		}
	}
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, "aeron-"+name)
}

// Load resolves every property with the precedence flags > environment >
// configuration file > default, validates the result, and returns notices
// about AERON_* variables it ignored.
func Load(src Source) (Config, []Notice, error) {
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	file := src.File
	if file == "" && src.Flags != nil {
		if f := src.Flags.Lookup(ConfigFlag); f != nil {
			file = f.Value.String()
		}
	}
	if file != "" {
		if err := readFile(v, file); err != nil {
			return Config{}, nil, err
		}
	}
	// The environment comes from src.Environ rather than the process, so
	// tests and embedders control it; viper reads the file.
	env := map[string]string{}
	for _, kv := range src.Environ {
		if k, val, ok := strings.Cut(kv, "="); ok {
			env[k] = val
		}
	}
	c := Default()
	for _, p := range Properties {
		key := strings.ToLower(p.Name)
		value, from := "", ""
		if src.Flags != nil {
			if f := src.Flags.Lookup(FlagName(p.Name)); f != nil && f.Changed {
				value, from = f.Value.String(), "flag --"+FlagName(p.Name)
			}
		}
		if from == "" {
			if val, ok := env[EnvName(p.Name)]; ok {
				value, from = val, "environment "+EnvName(p.Name)
			}
		}
		if from == "" && v.InConfig(key) {
			value, from = v.GetString(key), "file "+file
		}
		if from == "" {
			continue
		}
		if err := set(&c, p, value); err != nil {
			return Config{}, nil, fmt.Errorf("%s (%s): %w", p.Name, from, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, nil, err
	}
	return c, envNotices(env), nil
}

// readFile reads a configuration file and refuses keys it does not know.
func readFile(v *viper.Viper, file string) error {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".properties", ".props", ".conf", "":
		// Aeron users keep Java properties files; viper no longer
		// decodes them, so they are read here and merged into viper.
		m, err := readProperties(file)
		if err != nil {
			return err
		}
		if err := v.MergeConfigMap(m); err != nil {
			return fmt.Errorf("read config file %s: %w", file, err)
		}
	default:
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("read config file %s: %w", file, err)
		}
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if _, ok := Lookup(k); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("config file %s: unknown key(s) %s", file, strings.Join(unknown, ", "))
	}
	return nil
}

func envNotices(env map[string]string) []Notice {
	implemented := map[string]bool{}
	for _, p := range Properties {
		implemented[EnvName(p.Name)] = true
	}
	known := map[string]bool{}
	for _, n := range knownAeronEnv {
		known[n] = true
	}
	var out []Notice
	var names []string
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !strings.HasPrefix(k, "AERON_") || implemented[k] {
			continue
		}
		if known[k] {
			out = append(out, Notice(k+" is an Aeron setting this driver does not implement yet; ignored"))
		} else {
			out = append(out, Notice(k+" is not a setting this driver knows; ignored"))
		}
	}
	return out
}

// set parses value by the property's kind into its Config field.
func set(c *Config, p Property, value string) error {
	f := reflect.ValueOf(c).Elem().FieldByName(p.Field)
	if !f.IsValid() {
		return fmt.Errorf("no field %s", p.Field)
	}
	switch p.Kind {
	case String:
		f.SetString(strings.TrimSpace(value))
	case Enum:
		for _, allowed := range p.Values {
			if strings.EqualFold(strings.TrimSpace(value), allowed) {
				f.SetString(allowed)
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", value, strings.Join(p.Values, ", "))
	case Bool:
		b, err := ParseBool(value)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case Int:
		n, err := parseInt(value)
		if err != nil {
			return err
		}
		if f.OverflowInt(n) {
			return fmt.Errorf("%d is out of range", n)
		}
		f.SetInt(n)
	case Size:
		n, err := ParseSize(value)
		if err != nil {
			return err
		}
		if f.OverflowInt(n) {
			return fmt.Errorf("%d is out of range", n)
		}
		f.SetInt(n)
	case Duration:
		d, err := ParseDuration(value)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
	case IntList:
		l, err := ParseIntList(value)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(l))
	}
	return nil
}

func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return n, nil
}

// Print writes every property with its value, for aeron.print.configuration.
func (c Config) Print(w io.Writer) {
	v := reflect.ValueOf(c)
	for _, p := range Properties {
		// Lists print as Aeron writes them (1,2,3) so the output loads back.
		switch f := v.FieldByName(p.Field).Interface().(type) {
		case []int:
			fmt.Fprintf(w, "%s=", p.Name)
			for i, n := range f {
				if i > 0 {
					fmt.Fprint(w, ",")
				}
				fmt.Fprint(w, n)
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "%s=%v\n", p.Name, f)
		}
	}
}
