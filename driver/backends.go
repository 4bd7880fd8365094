package driver

import (
	"fmt"

	"github.com/aeron-bypass/aeron-bypass/backend"
	"github.com/aeron-bypass/aeron-bypass/backend/dpdk"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

// BackendOptions turns the configuration into what the backends read when
// they probe and open, and hands the aeron.bypass.dpdk.* settings to the
// DPDK backend (its EAL is set up once per process, so it takes them before
// any probe). The probe command and the driver share it, so both see the
// same backends.
func BackendOptions(cfg config.Config) (backend.Options, error) {
	dc, err := dpdk.Settings{
		Address: cfg.DPDKAddress, Gateway: cfg.DPDKGateway, Device: cfg.DPDKDevice, PCI: cfg.DPDKPCI,
		VDevs: cfg.DPDKVdevs, Lcores: cfg.DPDKLcores, FilePrefix: cfg.DPDKFilePrefix, MemoryBytes: cfg.DPDKMemory,
		NoHuge: cfg.DPDKNoHuge, InMemory: cfg.DPDKInMemory, RxQueues: cfg.DPDKRxQueues,
		RxDescriptors: cfg.DPDKRxDescriptors, TxDescriptors: cfg.DPDKTxDescriptors, Mbufs: cfg.DPDKMbufs,
		ChecksumOffload: cfg.DPDKChecksumOffload, IGMPVersion: cfg.DPDKIGMPVersion, ResolveTimeout: cfg.DPDKResolveTimeout,
		NeighbourReachable: cfg.DPDKNeighbourReachable,
	}.Config()
	if err != nil {
		return backend.Options{}, fmt.Errorf("aeron.bypass.dpdk settings: %w", err)
	}
	if err := dpdk.Configure(dc); err != nil {
		return backend.Options{}, fmt.Errorf("configure dpdk backend: %w", err)
	}
	return backend.Options{
		Interface:    cfg.Interface,
		Queues:       cfg.Queues,
		QueueCount:   cfg.QueueCount,
		SocketRcvBuf: cfg.SocketSoRcvbuf,
		SocketSndBuf: cfg.SocketSoSndbuf,
		MTU:          cfg.MTULength,
	}, nil
}
