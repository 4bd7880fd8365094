package dpdk

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	c, err := Settings{Address: "198.18.0.1/24", Gateway: "198.18.0.254", VDevs: "net_af_packet0,iface=eth1; net_af_xdp0,iface=eth2",
		Lcores: "1", MemoryBytes: 256 << 20, NoHuge: true, InMemory: true, FilePrefix: "p", ChecksumOffload: true,
		IGMPVersion: "2", ResolveTimeout: time.Second}.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Address.String() != "198.18.0.1/24" || c.Gateway.String() != "198.18.0.254" || c.IGMPVersion != 2 || c.NoChecksumOffload {
		t.Fatalf("config %+v", c)
	}
	e := c.EAL
	if !slices.Equal(e.VDevs, []string{"net_af_packet0,iface=eth1", "net_af_xdp0,iface=eth2"}) || !e.NoPCI || e.InMemory ||
		!e.NoHuge || e.MemoryMB != 256 || e.Lcores != "1" {
		t.Fatalf("eal %+v", e)
	}
	c, err = Settings{PCI: "0000:00:06.0, 0000:00:07.0", InMemory: true, IGMPVersion: "3"}.Config()
	if err != nil || !slices.Equal(c.EAL.Allow, []string{"0000:00:06.0", "0000:00:07.0"}) || c.EAL.NoPCI || !c.EAL.InMemory {
		t.Fatalf("pci %+v %v", c, err)
	}
	for _, s := range []Settings{
		{Address: "198.18.0.1"},
		{Address: "198.18.0.1/24", Gateway: "10.0.0.1"},
		{PCI: "eth0"},
		{IGMPVersion: "4"},
	} {
		if _, err := s.Config(); err == nil {
			t.Errorf("%+v accepted", s)
		} else if !strings.Contains(err.Error(), "dpdk") && !strings.Contains(err.Error(), "eal") {
			t.Errorf("%+v: error does not say where: %v", s, err)
		}
	}
}
