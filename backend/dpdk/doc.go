// Package dpdk is the DPDK backend: a poll-mode driver owns the NIC (AWS
// ENA, GCP gVNIC bound to vfio-pci, or a vdev over a Linux interface), and
// the backend does what Linux did for it at the datagram level.
//
// The NIC is gone from Linux, so the backend owns an IPv4 address
// (Config.Address, or captured through netlink from the interface's
// addresses, routes and neighbours while Linux still has it), answers ARP
// requests and ICMP echo for it, resolves next hops itself by ARP (on link,
// or through the gateway), and sends IGMPv3 (or v2) membership reports and
// leaves for the multicast groups its endpoints join, answering queries.
// Received UDP datagrams are demultiplexed to the transport bound to their
// address and port: the caller's are lent as views into mbufs until its
// next Receive, other endpoints' are copied to their side rings. A
// transport's Send builds Ethernet/IPv4/UDP frames straight into mbufs
// (with checksum offload where the device has it) and sends them in
// bursts. While no transport receives, a housekeeping goroutine polls, so
// ARP and ping are answered on an idle driver.
//
// The datapath needs the dpdk build tag (cgo, libdpdk). Detection is pure
// Go and built always: Scan reads PCI devices from sysfs (ids, bound
// driver, IOMMU or no-IOMMU mode, hugepages, and ENA's write-combining from
// the kernel's PAT list), and the probe ranks DPDK above AF_XDP only when
// an ENA or GVE device is bound to vfio-pci and ready. Without the tag the
// probe says "not built in".
//
// The driver passes the aeron.bypass.dpdk.* properties with Configure.
package dpdk
