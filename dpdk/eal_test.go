package dpdk

import (
	"slices"
	"testing"
)

func TestArgs(t *testing.T) {
	c := EALConfig{Lcores: "1", NoHuge: true, MemoryMB: 128, FilePrefix: "abp1",
		NoPCI: true, VDevs: []string{"net_af_packet0,iface=veth0l"}}
	want := []string{"prog", "-l", "1", "-m", "128", "--no-huge", "--file-prefix", "abp1",
		"--no-pci", "--vdev", "net_af_packet0,iface=veth0l", "--log-level", "warning", "--no-telemetry"}
	if got := c.Args("prog"); !slices.Equal(got, want) {
		t.Fatalf("args\n got %q\nwant %q", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := EALConfig{Allow: []string{"0000:00:06.0", "00:07.0"}, Telemetry: true, LogLevel: "debug"}
	want = []string{"prog", "-l", "0", "-a", "0000:00:06.0", "-a", "00:07.0", "--log-level", "debug"}
	if got := d.Args("prog"); !slices.Equal(got, want) {
		t.Fatalf("args\n got %q\nwant %q", got, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	for _, c := range []EALConfig{
		{MemoryMB: -1},
		{Lcores: "0 1"},
		{Allow: []string{"eth0"}},
		{Allow: []string{"0000:00:06"}},
		{Allow: []string{"00:06.0"}, NoPCI: true},
		{VDevs: []string{""}},
		{FilePrefix: "../x"},
		{NoHuge: true, InMemory: true},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
