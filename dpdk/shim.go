//go:build dpdk

package dpdk

/*
#cgo pkg-config: libdpdk
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <rte_config.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

// abp_desc tells Go where a received frame is, so that Go never reads the
// layout of struct rte_mbuf (it changes between releases).
struct abp_desc {
	void *data;
	uint64_t ol_flags;
	uint16_t len;
	uint16_t nb_segs;
	uint32_t pad;
};

static uint16_t abp_rx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, struct abp_desc *d, uint16_t n) {
	uint16_t got = rte_eth_rx_burst(port, queue, pkts, n);
	for (uint16_t i = 0; i < got; i++) {
		struct rte_mbuf *m = pkts[i];
		d[i].data = rte_pktmbuf_mtod(m, void *);
		d[i].len = rte_pktmbuf_data_len(m);
		d[i].nb_segs = m->nb_segs;
		d[i].ol_flags = m->ol_flags;
	}
	return got;
}

static void abp_free(struct rte_mbuf **pkts, unsigned n) {
	if (n > 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

// abp_alloc takes n mbufs and reports where each one's data starts and how
// much room it has, so that Go builds frames straight into them.
static int abp_alloc(struct rte_mempool *mp, struct rte_mbuf **pkts, void **data, uint16_t *room, unsigned n) {
	if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0)
		return -ENOBUFS;
	for (unsigned i = 0; i < n; i++) {
		data[i] = rte_pktmbuf_mtod(pkts[i], void *);
		room[i] = rte_pktmbuf_tailroom(pkts[i]);
	}
	return 0;
}

// abp_tx sets each mbuf's length (and the checksum offload request with
// the header lengths it needs), transmits, and frees what the device did
// not take, so that the caller rebuilds those frames on its next try.
static uint16_t abp_tx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t *lens, uint16_t n, uint64_t ol_flags) {
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		m->data_len = lens[i];
		m->pkt_len = lens[i];
		if (ol_flags) {
			m->ol_flags |= ol_flags;
			m->l2_len = RTE_ETHER_HDR_LEN;
			m->l3_len = sizeof(struct rte_ipv4_hdr);
		}
	}
	uint16_t sent = rte_eth_tx_burst(port, queue, pkts, n);
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return sent;
}

struct abp_port_info {
	uint16_t max_rxq, max_txq;
	uint16_t rxd_max, txd_max;
	uint32_t min_mtu, max_mtu;
	uint64_t rx_capa, tx_capa, rss_capa;
	int socket;
	uint8_t mac[6];
	char driver[64];
	char name[RTE_ETH_NAME_MAX_LEN];
};

static int abp_port_info(uint16_t port, struct abp_port_info *pi) {
	struct rte_eth_dev_info di;
	int rc = rte_eth_dev_info_get(port, &di);
	if (rc != 0)
		return rc;
	pi->max_rxq = di.max_rx_queues;
	pi->max_txq = di.max_tx_queues;
	pi->rxd_max = di.rx_desc_lim.nb_max;
	pi->txd_max = di.tx_desc_lim.nb_max;
	pi->min_mtu = di.min_mtu;
	pi->max_mtu = di.max_mtu;
	pi->rx_capa = di.rx_offload_capa;
	pi->tx_capa = di.tx_offload_capa;
	pi->rss_capa = di.flow_type_rss_offloads;
	pi->socket = rte_eth_dev_socket_id(port);
	snprintf(pi->driver, sizeof pi->driver, "%s", di.driver_name ? di.driver_name : "");
	rte_eth_dev_get_name_by_port(port, pi->name);
	struct rte_ether_addr a;
	rc = rte_eth_macaddr_get(port, &a);
	if (rc != 0)
		return rc;
	memcpy(pi->mac, a.addr_bytes, 6);
	return 0;
}

struct abp_port_conf {
	uint16_t rxq, txq, rxd, txd;
	uint32_t mtu;
	uint64_t rx_offloads, tx_offloads, rss_hf;
	// Out: the descriptor counts the device accepted.
	uint16_t rxd_out, txd_out;
};

// abp_port_start configures and starts a port; *step names what failed.
static int abp_port_start(uint16_t port, struct abp_port_conf *c, struct rte_mempool *mp, int socket, const char **step) {
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof conf);
	if (c->rxq > 1 && c->rss_hf != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = c->rss_hf;
	}
	conf.rxmode.mtu = c->mtu;
	conf.rxmode.offloads = c->rx_offloads;
	conf.txmode.offloads = c->tx_offloads;
	*step = "configure";
	int rc = rte_eth_dev_configure(port, c->rxq, c->txq, &conf);
	if (rc != 0)
		return rc;
	uint16_t rxd = c->rxd, txd = c->txd;
	*step = "adjust descriptors";
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
	if (rc != 0)
		return rc;
	c->rxd_out = rxd;
	c->txd_out = txd;
	*step = "rx queue setup";
	for (uint16_t q = 0; q < c->rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rxd, socket, NULL, mp);
		if (rc != 0)
			return rc;
	}
	*step = "tx queue setup";
	for (uint16_t q = 0; q < c->txq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, txd, socket, NULL);
		if (rc != 0)
			return rc;
	}
	*step = "start";
	return rte_eth_dev_start(port);
}

static int abp_link(uint16_t port, uint32_t *speed, int *up, int *full_duplex) {
	struct rte_eth_link l;
	memset(&l, 0, sizeof l);
	int rc = rte_eth_link_get_nowait(port, &l);
	if (rc != 0)
		return rc;
	*speed = l.link_speed;
	*up = l.link_status == RTE_ETH_LINK_UP;
	*full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	return 0;
}

static int abp_set_mc(uint16_t port, uint8_t *macs, uint32_t n) {
	return rte_eth_dev_set_mc_addr_list(port, (struct rte_ether_addr *)macs, n);
}

static int abp_errno(void) { return rte_errno; }

static struct rte_mempool *abp_pool(const char *name, unsigned n, unsigned cache, int socket) {
	struct rte_mempool *mp = rte_mempool_lookup(name);
	if (mp != NULL)
		return mp;
	return rte_pktmbuf_pool_create(name, n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
}

static const char *abp_pmd_path(void) { return RTE_EAL_PMD_PATH; }

static unsigned abp_pool_size(struct rte_mempool *mp) { return mp->size; }
static unsigned abp_pool_avail(struct rte_mempool *mp) { return rte_mempool_avail_count(mp); }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Built reports whether the binding is compiled in (the dpdk build tag).
const Built = true

// Version is the DPDK release the binding is linked against.
func Version() string { return C.GoString(C.rte_version()) }

// errno wraps a DPDK return code (negative errno) or rte_errno.
func errno(rc C.int) error {
	if rc < 0 {
		rc = -rc
	}
	if rc == 0 {
		rc = C.abp_errno()
	}
	s := C.GoString(C.rte_strerror(rc))
	return fmt.Errorf("%s (errno %d)", s, int(rc))
}

var eal struct {
	mu   sync.Mutex
	done bool
	args []string
	err  error
}

// InitEAL runs rte_eal_init with c's arguments on the calling thread, once
// per process. Later calls with the same arguments return the first
// call's result; with other arguments they fail, since EAL cannot be
// initialised again.
func InitEAL(c EALConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	args := c.Args("aeron-bypass")
	eal.mu.Lock()
	defer eal.mu.Unlock()
	if eal.done {
		if !slices.Equal(args[1:], eal.args[1:]) {
			return fmt.Errorf("eal already initialised with %q; cannot initialise again with %q", eal.args[1:], args[1:])
		}
		return eal.err
	}
	eal.done, eal.args = true, args
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpus unix.CPUSet
	haveCPUs := unix.SchedGetaffinity(0, &cpus) == nil
	// argv stays allocated for the life of the process: EAL keeps
	// pointers into it.
	argv := (**C.char)(C.calloc(C.size_t(len(args)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	av := unsafe.Slice(argv, len(args)+1)
	for i, a := range args {
		av[i] = C.CString(a)
	}
	rc := C.rte_eal_init(C.int(len(args)), argv)
	if haveCPUs {
		// EAL pinned this thread to its main lcore; hand it back to
		// the Go scheduler as it was.
		_ = unix.SchedSetaffinity(0, &cpus)
	}
	if rc < 0 {
		eal.err = fmt.Errorf("rte_eal_init %q: %w", args[1:], errno(0))
	}
	return eal.err
}

// HasPMD reports whether the poll-mode driver for net_<name> (af_packet,
// af_xdp, ena, gve) is installed in DPDK's plugin directory.
func HasPMD(name string) bool {
	m, _ := filepath.Glob(filepath.Join(C.GoString(C.abp_pmd_path()), "librte_net_"+name+".so*"))
	if len(m) > 0 {
		return true
	}
	_, err := os.Stat(filepath.Join(C.GoString(C.abp_pmd_path()), "librte_net_"+name+".so"))
	return err == nil
}

// EALArgs returns the arguments EAL was initialised with, nil before.
func EALArgs() []string {
	eal.mu.Lock()
	defer eal.mu.Unlock()
	if !eal.done || eal.err != nil {
		return nil
	}
	return slices.Clone(eal.args[1:])
}

// PortSummary names one Ethernet device EAL found.
type PortSummary struct {
	ID     uint16
	Name   string // PCI address or vdev name
	Driver string
}

// Ports lists the Ethernet devices EAL probed.
func Ports() []PortSummary {
	var out []PortSummary
	for p := C.rte_eth_find_next_owned_by(0, 0); p < C.RTE_MAX_ETHPORTS; p = C.rte_eth_find_next_owned_by(C.uint16_t(p+1), 0) {
		var pi C.struct_abp_port_info
		if C.abp_port_info(C.uint16_t(p), &pi) != 0 {
			continue
		}
		out = append(out, PortSummary{ID: uint16(p), Name: C.GoString(&pi.name[0]), Driver: C.GoString(&pi.driver[0])})
	}
	return out
}

// PortConfig says how to set a port up.
type PortConfig struct {
	// Device is the port's name (a PCI address or a vdev name such as
	// net_af_packet0); empty takes the first port.
	Device string
	// RxQueues and TxQueues default to 1. With more than one RX queue
	// the port spreads flows over them by RSS (IPv4 and UDP hash).
	RxQueues, TxQueues int
	// RxDescriptors and TxDescriptors size each ring (default 1024;
	// the device may adjust them).
	RxDescriptors, TxDescriptors int
	// MTU of the port; 0 keeps the device's default (1500).
	MTU int
	// Mbufs is the pool size; 0 sizes it from the rings and bursts.
	Mbufs int
	// MbufCache is the per-lcore cache of the pool (default 256).
	MbufCache int
	// NoChecksumOffload computes checksums in software even where the
	// device could.
	NoChecksumOffload bool
}

// Port is a started Ethernet device.
type Port struct {
	ID     uint16
	Name   string
	Driver string
	MAC    [6]byte
	Socket int
	// RxQueues and TxQueues are the queues set up; RxDescriptors and
	// TxDescriptors the ring sizes the device accepted.
	RxQueues, TxQueues           int
	RxDescriptors, TxDescriptors int
	MaxRxQueues, MaxTxQueues     int
	MinMTU, MaxMTU               int
	// RxChecksum and TxChecksum say whether IPv4 and UDP checksum
	// offloads are on; RSS says which hash functions spread flows.
	RxChecksum, TxChecksum bool
	RSS                    uint64
	Mbufs                  int

	pool *C.struct_rte_mempool
	mu   sync.Mutex
	open bool
}

// TxOffload are the mbuf flags that ask the device for the IPv4 header and
// UDP checksums; frames sent with them carry the pseudo-header sum in the
// UDP checksum field and zero in the IPv4 one.
const TxOffload = uint64(C.RTE_MBUF_F_TX_IPV4 | C.RTE_MBUF_F_TX_IP_CKSUM | C.RTE_MBUF_F_TX_UDP_CKSUM)

// Receive checksum verdicts in a frame's flags.
const (
	rxIPMask  = uint64(C.RTE_MBUF_F_RX_IP_CKSUM_MASK)
	rxIPBad   = uint64(C.RTE_MBUF_F_RX_IP_CKSUM_BAD)
	rxL4Mask  = uint64(C.RTE_MBUF_F_RX_L4_CKSUM_MASK)
	rxL4Good  = uint64(C.RTE_MBUF_F_RX_L4_CKSUM_GOOD)
	rxL4Bad   = uint64(C.RTE_MBUF_F_RX_L4_CKSUM_BAD)
	rxOffload = uint64(C.RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | C.RTE_ETH_RX_OFFLOAD_UDP_CKSUM)
	txOffload = uint64(C.RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | C.RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
)

// Checksum is the device's verdict on a received frame's checksums.
type Checksum int

// Checksum verdicts.
const (
	// ChecksumUnknown: the device did not check; software must.
	ChecksumUnknown Checksum = iota
	// ChecksumGood: IPv4 and UDP checksums verified by the device.
	ChecksumGood
	// ChecksumBad: the device found a bad IPv4 or UDP checksum.
	ChecksumBad
)

// ChecksumOf reads the verdict from a received frame's flags.
func ChecksumOf(flags uint64) Checksum {
	if flags&rxIPMask == rxIPBad || flags&rxL4Mask == rxL4Bad {
		return ChecksumBad
	}
	if flags&rxL4Mask == rxL4Good {
		return ChecksumGood
	}
	return ChecksumUnknown
}

var ports sync.Mutex

// OpenPort configures and starts a port. EAL must be initialised. Closing
// the port stops it; it can be opened again in the same process (vdevs
// and PCI devices stay probed, and the mbuf pool is reused).
func OpenPort(c PortConfig) (*Port, error) {
	ports.Lock()
	defer ports.Unlock()
	if EALArgs() == nil {
		return nil, errors.New("open port: EAL is not initialised")
	}
	var id C.uint16_t
	if c.Device != "" {
		name := C.CString(c.Device)
		rc := C.rte_eth_dev_get_port_by_name(name, &id)
		C.free(unsafe.Pointer(name))
		if rc != 0 {
			return nil, fmt.Errorf("open port %s: no such DPDK port (probed: %s)", c.Device, portNames())
		}
	} else {
		id = C.uint16_t(C.rte_eth_find_next_owned_by(0, 0))
		if id >= C.RTE_MAX_ETHPORTS {
			return nil, errors.New("open port: EAL found no Ethernet device (bind one to vfio-pci, or give a vdev)")
		}
	}
	var pi C.struct_abp_port_info
	if rc := C.abp_port_info(id, &pi); rc != 0 {
		return nil, fmt.Errorf("open port %d: device info: %w", id, errno(rc))
	}
	p := &Port{ID: uint16(id), Name: C.GoString(&pi.name[0]), Driver: C.GoString(&pi.driver[0]),
		Socket: int(pi.socket), MaxRxQueues: int(pi.max_rxq), MaxTxQueues: int(pi.max_txq),
		MinMTU: int(pi.min_mtu), MaxMTU: int(pi.max_mtu)}
	copy(p.MAC[:], C.GoBytes(unsafe.Pointer(&pi.mac[0]), 6))
	p.RxQueues, p.TxQueues = max(c.RxQueues, 1), max(c.TxQueues, 1)
	if p.RxQueues > p.MaxRxQueues || p.TxQueues > p.MaxTxQueues {
		return nil, fmt.Errorf("open port %s: %d rx and %d tx queues asked, device has at most %d and %d",
			p.Name, p.RxQueues, p.TxQueues, p.MaxRxQueues, p.MaxTxQueues)
	}
	if c.MTU != 0 && (c.MTU < p.MinMTU || c.MTU > p.MaxMTU) {
		return nil, fmt.Errorf("open port %s: mtu %d outside the device's %d..%d", p.Name, c.MTU, p.MinMTU, p.MaxMTU)
	}
	rxd, txd := c.RxDescriptors, c.TxDescriptors
	if rxd <= 0 {
		rxd = 1024
	}
	if txd <= 0 {
		txd = 1024
	}
	conf := C.struct_abp_port_conf{rxq: C.uint16_t(p.RxQueues), txq: C.uint16_t(p.TxQueues),
		rxd: C.uint16_t(rxd), txd: C.uint16_t(txd), mtu: C.uint32_t(c.MTU)}
	if !c.NoChecksumOffload {
		if uint64(pi.rx_capa)&rxOffload == rxOffload {
			conf.rx_offloads = C.uint64_t(rxOffload)
			p.RxChecksum = true
		}
		if uint64(pi.tx_capa)&txOffload == txOffload {
			conf.tx_offloads = C.uint64_t(txOffload)
			p.TxChecksum = true
		}
	}
	// Every mbuf comes from one pool with a reference count of one, so
	// the device may free them the fast way.
	if fast := uint64(C.RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE); uint64(pi.tx_capa)&fast != 0 {
		conf.tx_offloads |= C.uint64_t(fast)
	}
	if p.RxQueues > 1 {
		p.RSS = uint64(C.RTE_ETH_RSS_IP|C.RTE_ETH_RSS_UDP) & uint64(pi.rss_capa)
		conf.rss_hf = C.uint64_t(p.RSS)
	}
	socket := C.int(pi.socket)
	if socket < 0 {
		socket = C.SOCKET_ID_ANY
	}
	p.Mbufs = c.Mbufs
	if p.Mbufs <= 0 {
		// Every ring full, plus bursts held by the receivers and in
		// flight from the senders; 2^n-1 suits the mempool's ring.
		need := p.RxQueues*rxd + p.TxQueues*txd + 4*1024
		p.Mbufs = 1
		for p.Mbufs < need+1 {
			p.Mbufs <<= 1
		}
		p.Mbufs--
	}
	cache := c.MbufCache
	if cache <= 0 {
		cache = 256
	}
	name := C.CString(fmt.Sprintf("abp_pool_%d", id))
	p.pool = C.abp_pool(name, C.uint(p.Mbufs), C.uint(cache), socket)
	C.free(unsafe.Pointer(name))
	if p.pool == nil {
		return nil, fmt.Errorf("open port %s: mbuf pool of %d: %w", p.Name, p.Mbufs, errno(0))
	}
	if have := int(C.abp_pool_size(p.pool)); have < p.Mbufs {
		return nil, fmt.Errorf("open port %s: existing mbuf pool holds %d mbufs, %d asked", p.Name, have, p.Mbufs)
	}
	var step *C.char
	if rc := C.abp_port_start(id, &conf, p.pool, socket, &step); rc != 0 {
		C.rte_eth_dev_stop(id)
		return nil, fmt.Errorf("open port %s (%s): %s: %w", p.Name, p.Driver, C.GoString(step), errno(rc))
	}
	p.RxDescriptors, p.TxDescriptors = int(conf.rxd_out), int(conf.txd_out)
	p.open = true
	return p, nil
}

func portNames() string {
	s := ""
	for _, p := range Ports() {
		if s != "" {
			s += ", "
		}
		s += p.Name
	}
	if s == "" {
		return "none"
	}
	return s
}

// Close stops the port. Queues must no longer be in use.
func (p *Port) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.open {
		return nil
	}
	p.open = false
	if rc := C.rte_eth_dev_stop(C.uint16_t(p.ID)); rc != 0 {
		return fmt.Errorf("stop port %s: %w", p.Name, errno(rc))
	}
	return nil
}

// Link is a port's link state.
type Link struct {
	Up         bool
	SpeedMbps  uint32
	FullDuplex bool
}

// Link reads the link state without waiting.
func (p *Port) Link() (Link, error) {
	var speed C.uint32_t
	var up, full C.int
	if rc := C.abp_link(C.uint16_t(p.ID), &speed, &up, &full); rc != 0 {
		return Link{}, fmt.Errorf("link of port %s: %w", p.Name, errno(rc))
	}
	return Link{Up: up != 0, SpeedMbps: uint32(speed), FullDuplex: full != 0}, nil
}

// Stats are a port's basic counters.
type Stats struct {
	InPackets, OutPackets uint64
	InBytes, OutBytes     uint64
	// InMissed are frames the device dropped for want of RX
	// descriptors; InNoMbuf for want of mbufs.
	InMissed, InNoMbuf  uint64
	InErrors, OutErrors uint64
}

// Stats reads the port's counters.
func (p *Port) Stats() (Stats, error) {
	var s C.struct_rte_eth_stats
	if rc := C.rte_eth_stats_get(C.uint16_t(p.ID), &s); rc != 0 {
		return Stats{}, fmt.Errorf("stats of port %s: %w", p.Name, errno(rc))
	}
	return Stats{InPackets: uint64(s.ipackets), OutPackets: uint64(s.opackets), InBytes: uint64(s.ibytes),
		OutBytes: uint64(s.obytes), InMissed: uint64(s.imissed), InNoMbuf: uint64(s.rx_nombuf),
		InErrors: uint64(s.ierrors), OutErrors: uint64(s.oerrors)}, nil
}

// XStat is one extended statistic, named by the driver.
type XStat struct {
	Name  string
	Value uint64
}

// XStats reads the driver's extended statistics.
func (p *Port) XStats() ([]XStat, error) {
	id := C.uint16_t(p.ID)
	n := C.rte_eth_xstats_get_names(id, nil, 0)
	if n < 0 {
		return nil, fmt.Errorf("xstats of port %s: %w", p.Name, errno(n))
	}
	if n == 0 {
		return nil, nil
	}
	names := (*C.struct_rte_eth_xstat_name)(C.calloc(C.size_t(n), C.sizeof_struct_rte_eth_xstat_name))
	defer C.free(unsafe.Pointer(names))
	vals := (*C.struct_rte_eth_xstat)(C.calloc(C.size_t(n), C.sizeof_struct_rte_eth_xstat))
	defer C.free(unsafe.Pointer(vals))
	if got := C.rte_eth_xstats_get_names(id, names, C.uint(n)); got != n {
		return nil, fmt.Errorf("xstats names of port %s: %d of %d", p.Name, int(got), int(n))
	}
	if got := C.rte_eth_xstats_get(id, vals, C.uint(n)); got != n {
		return nil, fmt.Errorf("xstats of port %s: %d of %d", p.Name, int(got), int(n))
	}
	ns, vs := unsafe.Slice(names, int(n)), unsafe.Slice(vals, int(n))
	out := make([]XStat, 0, int(n))
	for _, v := range vs {
		if int(v.id) < len(ns) {
			out = append(out, XStat{Name: C.GoString(&ns[v.id].name[0]), Value: uint64(v.value)})
		}
	}
	return out, nil
}

// SetMulticast tells the device which multicast MACs to accept. A device
// without a filter list receives all multicast instead; allMulti reports
// that fallback.
func (p *Port) SetMulticast(macs [][6]byte) (allMulti bool, err error) {
	buf := make([]byte, 6*max(len(macs), 1))
	for i, m := range macs {
		copy(buf[6*i:], m[:])
	}
	cbuf := C.CBytes(buf)
	defer C.free(cbuf)
	rc := C.abp_set_mc(C.uint16_t(p.ID), (*C.uint8_t)(cbuf), C.uint32_t(len(macs)))
	if rc == 0 {
		return false, nil
	}
	if rc != -C.ENOTSUP && rc != -C.ENOSYS {
		return false, fmt.Errorf("multicast list of port %s: %w", p.Name, errno(rc))
	}
	if len(macs) == 0 {
		return false, nil
	}
	if rc := C.rte_eth_allmulticast_enable(C.uint16_t(p.ID)); rc != 0 && rc != -C.ENOTSUP {
		return false, fmt.Errorf("all-multicast on port %s: %w", p.Name, errno(rc))
	}
	return true, nil
}

// Pool reports the mbuf pool's size and how many mbufs are free.
func (p *Port) Pool() (size, free int) {
	return int(C.abp_pool_size(p.pool)), int(C.abp_pool_avail(p.pool))
}

// Mbufs is a list of mbufs in C memory, freed in one call.
type Mbufs struct {
	ptrs **C.struct_rte_mbuf
	s    []*C.struct_rte_mbuf
	n    int
}

// NewMbufs makes a list with room for capacity mbufs. Free its memory with
// Release.
func NewMbufs(capacity int) *Mbufs {
	m := &Mbufs{ptrs: (**C.struct_rte_mbuf)(C.calloc(C.size_t(max(capacity, 1)), C.size_t(unsafe.Sizeof(uintptr(0)))))}
	m.s = unsafe.Slice(m.ptrs, max(capacity, 1))
	return m
}

// Len is the number of mbufs held.
func (m *Mbufs) Len() int { return m.n }

// Cap is the list's capacity.
func (m *Mbufs) Cap() int { return len(m.s) }

// Free returns every mbuf held to its pool.
func (m *Mbufs) Free() {
	if m.n > 0 {
		C.abp_free(m.ptrs, C.uint(m.n))
		m.n = 0
	}
}

// Release frees the mbufs held and the list's own memory.
func (m *Mbufs) Release() {
	m.Free()
	C.free(unsafe.Pointer(m.ptrs))
	m.ptrs, m.s = nil, nil
}

// RxQueue receives bursts from one queue of a port. One goroutine at a
// time uses it.
type RxQueue struct {
	port, queue C.uint16_t
	ptrs        **C.struct_rte_mbuf
	pkts        []*C.struct_rte_mbuf
	descs       []C.struct_abp_desc
	descBase    *C.struct_abp_desc
}

// NewRxQueue prepares bursts of up to burst frames from queue q.
func (p *Port) NewRxQueue(q, burst int) (*RxQueue, error) {
	if q < 0 || q >= p.RxQueues || burst <= 0 || burst > 0xFFFF {
		return nil, fmt.Errorf("rx queue %d burst %d of port %s: out of range", q, burst, p.Name)
	}
	r := &RxQueue{port: C.uint16_t(p.ID), queue: C.uint16_t(q)}
	r.ptrs = (**C.struct_rte_mbuf)(C.calloc(C.size_t(burst), C.size_t(unsafe.Sizeof(uintptr(0)))))
	r.pkts = unsafe.Slice(r.ptrs, burst)
	r.descBase = (*C.struct_abp_desc)(C.calloc(C.size_t(burst), C.sizeof_struct_abp_desc))
	r.descs = unsafe.Slice(r.descBase, burst)
	return r, nil
}

// Receive takes up to the burst size (and at most max) frames from the
// queue. The frames belong to the caller until it hands each one to an
// Mbufs list (Keep) and frees that.
func (r *RxQueue) Receive(max int) int {
	n := min(max, len(r.pkts))
	if n <= 0 {
		return 0
	}
	return int(C.abp_rx(r.port, r.queue, r.ptrs, r.descBase, C.uint16_t(n)))
}

// Frame is frame i of the last burst, as a view into the mbuf. A frame in
// more than one segment is reported by Segmented and its view holds only
// the first segment.
func (r *RxQueue) Frame(i int) []byte {
	d := &r.descs[i]
	return unsafe.Slice((*byte)(d.data), int(d.len))
}

// Segmented reports whether frame i spans several mbufs.
func (r *RxQueue) Segmented(i int) bool { return r.descs[i].nb_segs > 1 }

// Flags are frame i's offload flags (see ChecksumOf).
func (r *RxQueue) Flags(i int) uint64 { return uint64(r.descs[i].ol_flags) }

// Keep moves frame i's mbuf to list m, to be freed with it. It reports
// false, leaving the frame with the caller, when m is full.
func (r *RxQueue) Keep(i int, m *Mbufs) bool {
	if m.n == len(m.s) {
		return false
	}
	m.s[m.n] = r.pkts[i]
	m.n++
	return true
}

// Release frees the queue's C memory.
func (r *RxQueue) Release() {
	C.free(unsafe.Pointer(r.ptrs))
	C.free(unsafe.Pointer(r.descBase))
	r.ptrs, r.pkts, r.descBase, r.descs = nil, nil, nil, nil
}

// TxQueue builds and sends bursts on one queue of a port. One goroutine at
// a time uses it.
type TxQueue struct {
	port, queue C.uint16_t
	pool        *C.struct_rte_mempool
	ptrs        **C.struct_rte_mbuf
	dataBase    *unsafe.Pointer
	data        []unsafe.Pointer
	roomBase    *C.uint16_t
	room        []C.uint16_t
	lenBase     *C.uint16_t
	lens        []C.uint16_t
	n           int
}

// NewTxQueue prepares bursts of up to burst frames on queue q.
func (p *Port) NewTxQueue(q, burst int) (*TxQueue, error) {
	if q < 0 || q >= p.TxQueues || burst <= 0 || burst > 0xFFFF {
		return nil, fmt.Errorf("tx queue %d burst %d of port %s: out of range", q, burst, p.Name)
	}
	t := &TxQueue{port: C.uint16_t(p.ID), queue: C.uint16_t(q), pool: p.pool}
	t.ptrs = (**C.struct_rte_mbuf)(C.calloc(C.size_t(burst), C.size_t(unsafe.Sizeof(uintptr(0)))))
	t.dataBase = (*unsafe.Pointer)(C.calloc(C.size_t(burst), C.size_t(unsafe.Sizeof(uintptr(0)))))
	t.data = unsafe.Slice(t.dataBase, burst)
	t.roomBase = (*C.uint16_t)(C.calloc(C.size_t(burst), 2))
	t.room = unsafe.Slice(t.roomBase, burst)
	t.lenBase = (*C.uint16_t)(C.calloc(C.size_t(burst), 2))
	t.lens = unsafe.Slice(t.lenBase, burst)
	return t, nil
}

// Burst is the most frames Alloc takes at once.
func (t *TxQueue) Burst() int { return len(t.data) }

// Alloc takes n mbufs (at most Burst) to build frames in; it reports false
// when the pool is short, which is a momentary condition.
func (t *TxQueue) Alloc(n int) bool {
	if n <= 0 || n > len(t.data) || t.n != 0 {
		return false
	}
	if C.abp_alloc(t.pool, t.ptrs, t.dataBase, t.roomBase, C.uint(n)) != 0 {
		return false
	}
	t.n = n
	return true
}

// Buf is the data room of mbuf i of the allocation.
func (t *TxQueue) Buf(i int) []byte { return unsafe.Slice((*byte)(t.data[i]), int(t.room[i])) }

// SetLen sets the frame length of mbuf i.
func (t *TxQueue) SetLen(i, n int) { t.lens[i] = C.uint16_t(n) }

// Transmit sends the first n allocated frames with the given offload flags
// (0 or TxOffload), frees the rest of the allocation and any frame the
// device did not take, and returns how many it took.
func (t *TxQueue) Transmit(n int, flags uint64) int {
	n = min(n, t.n)
	if rest := t.n - n; rest > 0 {
		C.abp_free((**C.struct_rte_mbuf)(unsafe.Add(unsafe.Pointer(t.ptrs), n*int(unsafe.Sizeof(uintptr(0))))), C.uint(rest))
	}
	t.n = 0
	if n == 0 {
		return 0
	}
	return int(C.abp_tx(t.port, t.queue, t.ptrs, t.lenBase, C.uint16_t(n), C.uint64_t(flags)))
}

// Release frees the queue's C memory (and an unsent allocation).
func (t *TxQueue) Release() {
	t.Transmit(0, 0)
	C.free(unsafe.Pointer(t.ptrs))
	C.free(unsafe.Pointer(t.dataBase))
	C.free(unsafe.Pointer(t.roomBase))
	C.free(unsafe.Pointer(t.lenBase))
	t.ptrs, t.dataBase, t.data, t.roomBase, t.room, t.lenBase, t.lens = nil, nil, nil, nil, nil, nil, nil
}
