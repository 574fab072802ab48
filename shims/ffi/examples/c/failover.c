/*
 * failover.c: two carp hosts on one in-memory wire, a simulated clock,
 * and a master that dies.
 *
 * Host A (advskew 0) and host B (advskew 100) each have one parent, em0,
 * and a carp interface carp0 with vhid 1 and the virtual address
 * 192.0.2.100/24: A configured with ifconfig words, B with a configuration
 * file. Each host's transmit callback queues the frame for the other; the
 * loop below delivers queued frames, then jumps the clock to the earliest
 * deadline (nothing sleeps). Once A is master it is killed: it is simply
 * no longer fed frames or time. B takes over after its master-down
 * interval (3 * advbase + advskew/256 s) and the program prints when, and
 * B's ifconfig status, then exits 0. Every line printed is deterministic.
 *
 * Build: make -C shims/ffi/examples/c (see the Makefile), or let
 * `cargo test -p carp-ffi` build and run it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carp.h"

#define FRAME_MAX 1600
#define QUEUE_LEN 16

struct frame {
	size_t len;
	uint8_t data[FRAME_MAX];
};

/* Frames on their way to one host. */
struct inbox {
	struct frame frames[QUEUE_LEN];
	size_t count;
};

struct host {
	const char *name;
	uint8_t mac[6];
	uint8_t ip[4];
	int alive;
	carp_host *carp;
	carp_parent_id em0;
	struct inbox inbox;  /* frames for this host */
	struct inbox *peer;  /* where our transmit puts frames */
};

/* ---- the driver of em0: callbacks of one host (ctx is its struct host) ---- */

static int wire_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct host *h = ctx;
	struct inbox *to = h->peer;
	if (len > FRAME_MAX)
		return CARP_EMSGSIZE;
	if (to->count == QUEUE_LEN)
		return CARP_ENOBUFS;
	memcpy(to->frames[to->count].data, frame, len);
	to->frames[to->count].len = len;
	to->count++;
	return 0;
}

static void wire_hw_addr(void *ctx, uint8_t *out)
{
	memcpy(out, ((struct host *)ctx)->mac, 6);
}

static int wire_ipv4_addr(void *ctx, uint8_t *out)
{
	memcpy(out, ((struct host *)ctx)->ip, 4);
	return 0;
}

/* No link state, IPv6, multicast or unicast filter, MTU or link type
 * callbacks: the defaults (up, none, promiscuous, 1500, Ethernet) suit a
 * simulated wire. */
static const carp_driver_ops wire_ops = {
	.transmit = wire_transmit,
	.hw_addr = wire_hw_addr,
	.ipv4_addr = wire_ipv4_addr,
};

/* ---- helpers ---- */

static void check(struct host *h, int rc, const char *what)
{
	char msg[160];
	if (rc >= 0)
		return;
	carp_host_last_error(h->carp, msg, sizeof msg);
	fprintf(stderr, "%s: %s: %s (%s)\n", h->name, what, carp_strerror(rc), msg);
	exit(1);
}

/* Delivers every queued frame to its (living) host, on its em0. */
static void deliver(struct host *h, uint64_t now)
{
	size_t i;
	for (i = 0; i < h->inbox.count; i++) {
		if (!h->alive)
			continue;
		int rc = carp_host_input(h->carp, now, h->em0, h->inbox.frames[i].data,
					 h->inbox.frames[i].len, NULL);
		check(h, rc, "input");
	}
	h->inbox.count = 0;
}

/* Prints the state changes queued on a host, by carp interface name. */
static void drain_events(struct host *h)
{
	carp_event ev[8];
	char ifname[CARP_IFNAMSIZ];
	int n, i;
	while ((n = carp_host_poll_events(h->carp, ev, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].kind != CARP_EVENT_STATE_CHANGE)
				continue;
			check(h, carp_host_carp_name(h->carp, ev[i].parent, ev[i].vhid,
						     ifname, sizeof ifname), "carp_name");
			printf("%10" PRIu64 " us  %s %s vhid %u %s -> %s (%s)\n",
			       ev[i].at_us, h->name, ifname, ev[i].vhid,
			       carp_state_name(ev[i].from), carp_state_name(ev[i].to),
			       carp_reason_name(ev[i].reason));
		}
	}
	check(h, n, "poll_events");
}

/* The earliest deadline of the living hosts (UINT64_MAX if none). */
static uint64_t next_deadline(struct host *hosts, int n)
{
	uint64_t best = UINT64_MAX, d;
	int i;
	for (i = 0; i < n; i++)
		if (hosts[i].alive && carp_host_poll_timeout(hosts[i].carp, &d) == 1 && d < best)
			best = d;
	return best;
}

static const char a_words[] = "create vhid 1 carpdev em0 advskew 0 pass s3cret 192.0.2.100/24";

static const char b_config[] =
	"# host B: the backup\n"
	"net.inet.carp.preempt=1\n"
	"ifconfig carp0 create vhid 1 carpdev em0 advskew 100 pass s3cret 192.0.2.100/24\n";

int main(void)
{
	struct host hosts[2] = {
		{ .name = "A", .mac = { 2, 0, 0, 0, 0, 0xa }, .ip = { 192, 0, 2, 1 }, .alive = 1 },
		{ .name = "B", .mac = { 2, 0, 0, 0, 0, 0xb }, .ip = { 192, 0, 2, 2 }, .alive = 1 },
	};
	struct host *a = &hosts[0], *b = &hosts[1];
	uint64_t now = 0, killed_at = 0, deadline;
	int64_t preempt = -1;
	int i, rc, bad;
	char msg[160];

	a->peer = &b->inbox;
	b->peer = &a->inbox;
	for (i = 0; i < 2; i++) {
		rc = carp_host_new(0x1000000 * (uint64_t)(i + 1), &hosts[i].carp);
		if (rc != 0) {
			fprintf(stderr, "carp_host_new: %s\n", carp_strerror(rc));
			return 1;
		}
		check(&hosts[i], carp_host_add_parent(hosts[i].carp, "em0", &wire_ops,
						      &hosts[i], &hosts[i].em0), "add_parent");
	}

	/* A refused request changes nothing and says which word or line is wrong. */
	{
		const char *typo = "create vhid 1 carpdev em0 advskwe 100";
		const char *file = "net.inet.carp.preempt=1\n"
				   "ifconfig carp0 create vhid 1 carpdev em0 192.0.2.83/24 192.0.2.9\n";
		rc = carp_host_ifconfig(a->carp, now, "carp0", typo, strlen(typo), &bad);
		carp_host_last_error(a->carp, msg, sizeof msg);
		printf("ifconfig carp0 %s: %s (word index %d)\n  %s\n", typo, carp_strerror(rc),
		       bad, msg);
		rc = carp_host_apply_config(a->carp, now, file, strlen(file), NULL, &bad, NULL);
		carp_host_last_error(a->carp, msg, sizeof msg);
		printf("config file: %s (line %d)\n  %s\n", carp_strerror(rc), bad, msg);
	}

	check(a, carp_host_ifconfig(a->carp, now, "carp0", a_words, strlen(a_words), NULL),
	      a_words);
	{
		carp_apply_report report;
		check(b, carp_host_apply_config(b->carp, now, b_config, strlen(b_config), NULL,
						NULL, &report), "apply_config");
		printf("B config: %u added, %u knobs\n", report.added, report.knobs);
	}
	check(b, carp_host_sysctl_get(b->carp, "net.inet.carp.preempt", &preempt), "sysctl");
	{
		carp_req req;
		check(b, carp_host_get_carpreq(b->carp, "carp0", 0, &req, sizeof req), "get_carpreq");
		printf("B carpreq: vhid %d advbase %d advskew %d carpdev %s naddrs %u prefix %u "
		       "state %s preempt %" PRId64 "\n",
		       req.vhid, req.advbase, req.advskew, (const char *)req.carpdev, req.naddrs,
		       req.addrs[0].prefix_len, carp_state_name(req.state), preempt);
	}

	for (;;) {
		for (i = 0; i < 2; i++) {
			deliver(&hosts[i], now);
			if (hosts[i].alive)
				drain_events(&hosts[i]);
		}
		if (!killed_at && carp_host_state(a->carp, a->em0, 1) == CARP_STATE_MASTER &&
		    carp_host_state(b->carp, b->em0, 1) == CARP_STATE_BACKUP && now >= 5000000) {
			killed_at = now;
			a->alive = 0;
			printf("%10" PRIu64 " us  A killed (no more frames or time)\n", now);
		}
		if (killed_at && carp_host_state(b->carp, b->em0, 1) == CARP_STATE_MASTER)
			break;
		deadline = next_deadline(hosts, 2);
		if (deadline == UINT64_MAX || deadline > 60000000) {
			fprintf(stderr, "no takeover within 60 s\n");
			return 1;
		}
		now = deadline;
		for (i = 0; i < 2; i++)
			if (hosts[i].alive)
				check(&hosts[i], carp_host_poll(hosts[i].carp, now), "poll");
	}

	{
		carp_stats sa, sb;
		char status[256];
		check(a, carp_host_stats(a->carp, &sa), "stats");
		check(b, carp_host_stats(b->carp, &sb), "stats");
		printf("takeover: B is MASTER at %" PRIu64 " us, %" PRIu64 " us after A died\n",
		       now, now - killed_at);
		printf("adverts: A sent %" PRIu64 ", B sent %" PRIu64 " and received %" PRIu64 "\n",
		       sa.opackets, sb.opackets, sb.ipackets);
		rc = carp_host_status(b->carp, "carp0", status, sizeof status);
		check(b, rc, "status");
		if ((size_t)rc >= sizeof status) {
			fprintf(stderr, "status cut\n");
			return 1;
		}
		printf("B: ifconfig carp0\n%s", status);
	}

	/* A graceful exit: destroy bows the master out, with an advert of
	 * advskew 255 sent before the call returns (Ethernet 14 + IPv4 20
	 * bytes, then the CARP header: version/type, vhid, advskew). */
	check(b, carp_host_ifconfig(b->carp, now, "carp0", "destroy", 7, NULL), "destroy");
	for (i = 0; i < (int)a->inbox.count; i++) {
		const uint8_t *f = a->inbox.frames[i].data;
		if (a->inbox.frames[i].len >= 14 + 20 + 36 && f[23] == 112)
			printf("B bowed out: advert vhid %u advskew %u\n", f[35], f[36]);
	}
	for (i = 0; i < 2; i++)
		carp_host_free(hosts[i].carp);
	return 0;
}
