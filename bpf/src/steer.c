// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// XDP program of the aeron-bypass AF_XDP backend: UDP datagrams addressed
// to one of the driver's endpoints (the endpoints map) go to the AF_XDP
// socket of the queue they arrived on (the xsks map); everything else is
// passed to Linux so ARP, ICMP, TCP and other UDP keep working.

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define NEXTHDR_UDP 17
#define NEXTHDR_FRAGMENT 44

struct ethhdr_s {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
} __attribute__((packed));

struct vlanhdr_s {
	__be16 tci;
	__be16 proto;
} __attribute__((packed));

struct iphdr_s {
	__u8 ver_ihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
} __attribute__((packed));

struct ipv6hdr_s {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
} __attribute__((packed));

struct udphdr_s {
	__be16 source;
	__be16 dest;
	__be16 len;
	__be16 check;
} __attribute__((packed));

// An endpoint key: the destination address (IPv4 as ::ffff:a.b.c.d) and the
// destination port, both in network byte order.
struct endpoint {
	__u8 addr[16];
	__be16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct endpoint);
	__type(value, __u32);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

enum { STAT_REDIRECTED, STAT_PASSED, STAT_REDIRECT_FAILED, STAT_COUNT };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);
	if (v)
		*v += 1;
}

static __always_inline int pass(void)
{
	count(STAT_PASSED);
	return XDP_PASS;
}

SEC("xdp")
int steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr_s *eth = data;
	struct endpoint key = {};
	struct udphdr_s *udp;
	__be16 proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return pass();
	proto = eth->proto;
	l3 = eth + 1;
	// At most two VLAN tags (802.1ad outer, 802.1Q inner), unrolled.
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlanhdr_s *vlan = l3;
		if ((void *)(vlan + 1) > end)
			return pass();
		proto = vlan->proto;
		l3 = vlan + 1;
	}

	if (proto == bpf_htons(ETH_P_IPV4)) {
		struct iphdr_s *ip = l3;
		if ((void *)(ip + 1) > end)
			return pass();
		__u32 ihl = (ip->ver_ihl & 0x0F) * 4;
		if ((ip->ver_ihl >> 4) != 4 || ihl < sizeof(*ip))
			return pass();
		// Fragments go to Linux, which reassembles them.
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return pass();
		if (ip->protocol != IPPROTO_UDP)
			return pass();
		udp = (void *)ip + ihl; // ihl honours IPv4 options
		key.addr[10] = 0xFF;
		key.addr[11] = 0xFF;
		__builtin_memcpy(&key.addr[12], &ip->daddr, 4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr_s *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return pass();
		// Extension headers (fragments included) are left to Linux.
		if (ip6->nexthdr != NEXTHDR_UDP)
			return pass();
		udp = (void *)(ip6 + 1);
		__builtin_memcpy(key.addr, ip6->daddr, 16);
	} else {
		return pass();
	}
	if ((void *)(udp + 1) > end)
		return pass();
	key.port = udp->dest;
	if (!bpf_map_lookup_elem(&endpoints, &key))
		return pass();

	// With XDP_PASS as the flags, an empty slot passes the packet instead
	// of dropping it (kernel 5.3+).
	int action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (action == XDP_REDIRECT)
		count(STAT_REDIRECTED);
	else
		count(STAT_REDIRECT_FAILED);
	return action;
}

char _license[] SEC("license") = "Dual MIT/GPL";
