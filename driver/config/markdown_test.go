package config

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIGURATION.md")

func TestConfigurationDoc(t *testing.T) {
	const path = "../../docs/CONFIGURATION.md"
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("docs/CONFIGURATION.md is out of date with the property table; run go test ./driver/config -run TestConfigurationDoc -update")
	}
}
