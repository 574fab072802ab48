/*
 * failover.c: two carp interfaces on one in-memory wire, a simulated
 * clock, and a master that dies.
 *
 * Host A (advskew 0) and host B (advskew 100) share vhid 1 and the virtual
 * address 192.0.2.100. Each host's transmit callback queues the frame for
 * the other; the loop below delivers queued frames, then jumps the clock
 * to the earliest deadline (nothing sleeps). Once A is master it is
 * killed: it is simply no longer fed frames or time. B takes over after
 * its master-down interval (3 * advbase + advskew/256 s) and the program
 * prints when, then exits 0. Every time printed is deterministic.
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
	carp_if *cif;
	struct inbox inbox;  /* frames for this host */
	struct inbox *peer;  /* where our transmit puts frames */
};

/* ---- the driver: callbacks of one host (ctx is its struct host) ---- */

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

/* No link state, IPv6, multicast filter, MTU or link type callbacks: the
 * defaults (up, none, promiscuous, 1500, Ethernet) suit a simulated wire. */
static const carp_driver_ops wire_ops = {
	.transmit = wire_transmit,
	.hw_addr = wire_hw_addr,
	.ipv4_addr = wire_ipv4_addr,
};

/* ---- helpers ---- */

static void check(struct host *h, int rc, const char *what)
{
	char msg[128];
	if (rc >= 0)
		return;
	carp_if_last_error(h->cif, msg, sizeof msg);
	fprintf(stderr, "%s: %s: %s (%s)\n", h->name, what, carp_strerror(rc), msg);
	exit(1);
}

static void configure(struct host *h, uint64_t now, const char *words)
{
	check(h, carp_if_ifconfig(h->cif, now, words, strlen(words), NULL), words);
}

/* Delivers every queued frame to its (living) host. */
static void deliver(struct host *h, uint64_t now)
{
	size_t i;
	for (i = 0; i < h->inbox.count; i++) {
		if (!h->alive)
			continue;
		int rc = carp_if_input(h->cif, now, h->inbox.frames[i].data,
				       h->inbox.frames[i].len, NULL);
		check(h, rc, "input");
	}
	h->inbox.count = 0;
}

/* Prints the state changes queued on a host. */
static void drain_events(struct host *h)
{
	carp_event ev[8];
	int n, i;
	while ((n = carp_if_poll_events(h->cif, ev, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].kind != CARP_EVENT_STATE_CHANGE)
				continue;
			printf("%10" PRIu64 " us  %s vhid %u %s -> %s (%s)\n",
			       ev[i].at_us, h->name, ev[i].vhid,
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
		if (hosts[i].alive && carp_if_poll_timeout(hosts[i].cif, &d) == 1 && d < best)
			best = d;
	return best;
}

int main(void)
{
	struct host hosts[2] = {
		{ .name = "A", .mac = { 2, 0, 0, 0, 0, 0xa }, .ip = { 192, 0, 2, 1 }, .alive = 1 },
		{ .name = "B", .mac = { 2, 0, 0, 0, 0, 0xb }, .ip = { 192, 0, 2, 2 }, .alive = 1 },
	};
	struct host *a = &hosts[0], *b = &hosts[1];
	carp_sysctl *sysctl[2];
	uint64_t now = 0, killed_at = 0, deadline;
	int64_t preempt = -1;
	int i, rc, bad_word;

	a->peer = &b->inbox;
	b->peer = &a->inbox;
	for (i = 0; i < 2; i++) {
		/* One sysctl tree per simulated host, as two machines have. */
		sysctl[i] = carp_sysctl_new();
		rc = carp_if_new(&wire_ops, &hosts[i], sysctl[i],
				 0x1000000 * (uint64_t)(i + 1), &hosts[i].cif);
		if (rc != 0) {
			fprintf(stderr, "carp_if_new: %s\n", carp_strerror(rc));
			return 1;
		}
		carp_sysctl_free(sysctl[i]); /* the interface keeps its reference */
	}

	/* A refused request changes nothing and says which word is wrong. */
	{
		const char *typo = "vhid 1 advskwe 100";
		const char *range = "vhid 1 advskew 300";
		char msg[96];
		rc = carp_if_ifconfig(a->cif, now, typo, strlen(typo), &bad_word);
		carp_if_last_error(a->cif, msg, sizeof msg);
		printf("ifconfig '%s': %s (bad word index %d): %s\n", typo, carp_strerror(rc),
		       bad_word, msg);
		rc = carp_if_ifconfig(a->cif, now, range, strlen(range), &bad_word);
		carp_if_last_error(a->cif, msg, sizeof msg);
		printf("ifconfig '%s': %s: %s\n", range, carp_strerror(rc), msg);
	}

	configure(a, now, "vhid 1 advskew 0 pass s3cret 192.0.2.100");
	configure(b, now, "vhid 1 advskew 100 pass s3cret 192.0.2.100");
	check(b, carp_sysctl_get(carp_if_sysctl(b->cif), "preempt", 7, &preempt), "sysctl");
	{
		carp_req req;
		check(b, carp_if_get_carpreq(b->cif, 1, &req, sizeof req), "get_carpreq");
		printf("B carpreq: vhid %d advbase %d advskew %d naddrs %u state %s preempt %" PRId64 "\n",
		       req.vhid, req.advbase, req.advskew, req.naddrs,
		       carp_state_name(req.state), preempt);
	}

	for (;;) {
		for (i = 0; i < 2; i++) {
			deliver(&hosts[i], now);
			if (hosts[i].alive)
				drain_events(&hosts[i]);
		}
		if (!killed_at && carp_if_state(a->cif, 1) == CARP_STATE_MASTER &&
		    carp_if_state(b->cif, 1) == CARP_STATE_BACKUP && now >= 5000000) {
			killed_at = now;
			a->alive = 0;
			printf("%10" PRIu64 " us  A killed (no more frames or time)\n", now);
		}
		if (killed_at && carp_if_state(b->cif, 1) == CARP_STATE_MASTER)
			break;
		deadline = next_deadline(hosts, 2);
		if (deadline == UINT64_MAX || deadline > 60000000) {
			fprintf(stderr, "no takeover within 60 s\n");
			return 1;
		}
		now = deadline;
		for (i = 0; i < 2; i++)
			if (hosts[i].alive)
				check(&hosts[i], carp_if_handle_timeout(hosts[i].cif, now),
				      "handle_timeout");
	}

	{
		carp_stats sa, sb;
		check(a, carp_if_stats(a->cif, &sa), "stats");
		check(b, carp_if_stats(b->cif, &sb), "stats");
		printf("takeover: B is MASTER at %" PRIu64 " us, %" PRIu64 " us after A died\n",
		       now, now - killed_at);
		printf("adverts: A sent %" PRIu64 ", B sent %" PRIu64 " and received %" PRIu64 "\n",
		       sa.opackets, sb.opackets, sb.ipackets);
	}

	configure(b, now, "vhid 1 destroy");
	for (i = 0; i < 2; i++)
		carp_if_free(hosts[i].cif);
	return 0;
}
