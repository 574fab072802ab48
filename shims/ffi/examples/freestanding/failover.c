/*
 * failover.c (freestanding): two carp hosts on an in-memory wire, with the
 * freestanding libcarp_ffi.a: no libc, no heap, no threads.
 *
 * The program is what a kernel is to the library: runtime.c gives it its
 * own _start and stack, two Linux system calls (write, exit_group) and
 * what the library needs from its environment (memcpy, memmove, memset,
 * memcmp and carp_panic). It is built with -ffreestanding -nostdlib
 * -static, so nothing else can be linked in.
 *
 * 1. The memory contract: carp_host_init refuses NULL, short and
 *    misaligned memory.
 * 2. The capacities: a host in A's memory takes CARP_MAX_PARENTS parents
 *    and CARP_MAX_VHIDS vhids on one of them, and refuses one more of
 *    each with CARP_ENOSPC; carp_host_fini gives the memory back.
 * 3. The failover of examples/c/failover.c: host A (advskew 0, ifconfig
 *    words) and host B (advskew 100, a configuration file) on em0, vhid
 *    1, 192.0.2.100/24; each transmit queues the frame for the other;
 *    the clock jumps to the earliest deadline. Once A is master it is
 *    killed (no more frames or time); B takes over after 3 * advbase +
 *    advskew/256 s, then bows out.
 *
 * Every line is deterministic except the "figure" lines (sizes, stack).
 * Build: make -C shims/ffi/examples/freestanding, or let
 * `cargo test -p carp-ffi --test freestanding` build, check and run it.
 */
#define CARP_FREESTANDING 1
#include "carp.h"
#include "runtime.h"

#define ARENA_SIZE (512 * 1024)
#define FRAME_MAX 1600
#define QUEUE_LEN 16

/* ---- memory for the hosts: a static arena, carved as the library asks ---- */

static unsigned char arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t arena_used;

static void *arena_take(size_t size, size_t align)
{
	size_t at = (arena_used + align - 1) & ~(align - 1);
	if (align == 0 || (align & (align - 1)) != 0 || at + size > ARENA_SIZE)
		return 0;
	arena_used = at + size;
	return arena + at;
}

/* ---- the wire: each host's em0 queues frames for the other ---- */

struct frame {
	size_t len;
	uint8_t data[FRAME_MAX];
};

struct inbox {
	struct frame frames[QUEUE_LEN];
	size_t count;
};

struct host {
	const char *name;
	uint8_t mac[6];
	uint8_t ip[4];
	int alive;
	void *mem;
	carp_host *carp;
	carp_parent_id em0;
	struct inbox inbox; /* frames for this host */
	struct inbox *peer; /* where our transmit puts frames */
};

static int wire_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct inbox *to = ((struct host *)ctx)->peer;
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

static const carp_driver_ops wire_ops = {
	.transmit = wire_transmit,
	.hw_addr = wire_hw_addr,
	.ipv4_addr = wire_ipv4_addr,
};

/* A NIC on no wire: what it is given is dropped. */
static int null_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)frame;
	(void)len;
	return 0;
}

static const carp_driver_ops null_ops = {
	.transmit = null_transmit,
	.hw_addr = wire_hw_addr,
	.ipv4_addr = wire_ipv4_addr,
};

static void check(struct host *h, int rc, const char *what)
{
	char msg[160];
	if (rc >= 0)
		return;
	carp_host_last_error(h->carp, msg, sizeof msg);
	put("FAILED: ");
	put(h->name);
	put(": ");
	put(what);
	put(": ");
	put(msg);
	end_line();
	sys_exit(1);
}

static void deliver(struct host *h, uint64_t now)
{
	size_t i;
	for (i = 0; i < h->inbox.count; i++) {
		if (!h->alive)
			continue;
		check(h, carp_host_input(h->carp, now, h->em0, h->inbox.frames[i].data,
					 h->inbox.frames[i].len, 0), "input");
	}
	h->inbox.count = 0;
}

static void drain_events(struct host *h)
{
	carp_event ev[8];
	char ifname[CARP_IFNAMSIZ];
	int n, i;
	while ((n = carp_host_poll_events(h->carp, ev, 8)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].kind != CARP_EVENT_STATE_CHANGE)
				continue;
			check(h, carp_host_carp_name(h->carp, ev[i].parent, ev[i].vhid, ifname,
						     sizeof ifname), "carp_name");
			put_u(ev[i].at_us, 10);
			put(" us  ");
			put(h->name);
			put(" ");
			put(ifname);
			put(" vhid ");
			put_u(ev[i].vhid, 0);
			put(" ");
			put(carp_state_name(ev[i].from));
			put(" -> ");
			put(carp_state_name(ev[i].to));
			put(" (");
			put(carp_reason_name(ev[i].reason));
			put(")");
			end_line();
		}
	}
	check(h, n, "poll_events");
}

static uint64_t next_deadline(struct host *hosts, int n)
{
	uint64_t best = UINT64_MAX, d;
	int i;
	for (i = 0; i < n; i++)
		if (hosts[i].alive && carp_host_poll_timeout(hosts[i].carp, &d) == 1 && d < best)
			best = d;
	return best;
}

/* ---- 1. the memory contract ---- */

static void memory_contract(struct host *a)
{
	carp_host *h;
	unsigned char *mem = a->mem;
	size_t size = carp_host_size(), align = carp_host_align();

	put("init NULL: ");
	put(carp_strerror(carp_host_init(0, size, 1, &h)));
	end_line();
	put("init one byte short: ");
	put(carp_strerror(carp_host_init(mem, size - 1, 1, &h)));
	end_line();
	if (align > 1) {
		put("init misaligned: ");
		put(carp_strerror(carp_host_init(mem + align / 2, size, 1, &h)));
		end_line();
	}
}

/* ---- 2. the capacities, in A's memory, given back after ---- */

/* Writes "vhid N 192.0.2.N/24" (FreeBSD style, on the parent) to `buf`;
 * returns its length. */
static size_t vhid_words(char *buf, unsigned n)
{
	static const char head[] = "vhid ", mid[] = " 192.0.2.", tail[] = "/24";
	char num[4];
	size_t len = 0, k = 0, i;
	do {
		num[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	memcpy(buf, head, sizeof head - 1);
	len += sizeof head - 1;
	for (i = k; i > 0; i--)
		buf[len++] = num[i - 1];
	memcpy(buf + len, mid, sizeof mid - 1);
	len += sizeof mid - 1;
	for (i = k; i > 0; i--)
		buf[len++] = num[i - 1];
	memcpy(buf + len, tail, sizeof tail - 1);
	return len + sizeof tail - 1;
}

static void capacities(struct host *a)
{
	static const char *const parents[] = { "em0", "em1", "em2", "em3", "em4", "em5" };
	static struct host scratch;
	carp_parent_id id, em0 = 0;
	char words[32];
	int i, rc;

	scratch.name = "scratch";
	scratch.mem = a->mem;
	memcpy(scratch.mac, a->mac, 6);
	memcpy(scratch.ip, a->ip, 4);
	check(&scratch, carp_host_init(scratch.mem, carp_host_size(), 7, &scratch.carp), "init");
	for (i = 0; i <= CARP_MAX_PARENTS && i < 6; i++) {
		rc = carp_host_add_parent(scratch.carp, parents[i], &null_ops, &scratch, &id);
		if (i == 0)
			em0 = id;
		if (rc != 0 || i == CARP_MAX_PARENTS) {
			put("parent ");
			put_u((uint64_t)i + 1, 0);
			put(" of ");
			put_u(CARP_MAX_PARENTS, 0);
			put(": ");
			put(carp_strerror(rc));
			end_line();
		}
	}
	for (i = 1; i <= CARP_MAX_VHIDS + 1; i++) {
		rc = carp_host_ifconfig(scratch.carp, 0, "em0", words,
					vhid_words(words, (unsigned)i), 0);
		if (rc != 0 || i == CARP_MAX_VHIDS + 1) {
			put("vhid ");
			put_u((uint64_t)i, 0);
			put(" of ");
			put_u(CARP_MAX_VHIDS, 0);
			put(" on em0: ");
			put(carp_strerror(rc));
			end_line();
		}
	}
	put("scratch em0 vhid ");
	put_u(CARP_MAX_VHIDS, 0);
	put(": ");
	put(carp_state_name(carp_host_state(scratch.carp, em0, CARP_MAX_VHIDS)));
	end_line();
	carp_host_fini(scratch.carp);
	put("scratch host ended; its memory goes to host A");
	end_line();
}

/* ---- 3. the failover ---- */

static const char a_words[] = "create vhid 1 carpdev em0 advskew 0 pass s3cret 192.0.2.100/24";

static const char b_config[] =
	"# host B: the backup\n"
	"net.inet.carp.preempt=1\n"
	"ifconfig carp0 create vhid 1 carpdev em0 advskew 100 pass s3cret 192.0.2.100/24\n";

static void failover(struct host *hosts)
{
	struct host *a = &hosts[0], *b = &hosts[1];
	uint64_t now = 0, killed_at = 0, deadline;
	int64_t preempt = -1;
	int i, rc, bad;
	char msg[160];

	for (i = 0; i < 2; i++) {
		rc = carp_host_init(hosts[i].mem, carp_host_size(), 0x1000000 * (uint64_t)(i + 1),
				    &hosts[i].carp);
		if (rc != 0)
			fail("carp_host_init", carp_strerror(rc));
		check(&hosts[i], carp_host_add_parent(hosts[i].carp, "em0", &wire_ops, &hosts[i],
						      &hosts[i].em0), "add_parent");
	}

	{
		static const char typo[] = "create vhid 1 carpdev em0 advskwe 100";
		rc = carp_host_ifconfig(a->carp, now, "carp0", typo, sizeof typo - 1, &bad);
		carp_host_last_error(a->carp, msg, sizeof msg);
		put("ifconfig carp0 ");
		put(typo);
		put(": ");
		put(carp_strerror(rc));
		put(" (word index ");
		put_i(bad);
		put(")");
		end_line();
		put("  ");
		put(msg);
		end_line();
	}

	check(a, carp_host_ifconfig(a->carp, now, "carp0", a_words, sizeof a_words - 1, 0),
	      a_words);
	{
		carp_apply_report report;
		check(b, carp_host_apply_config(b->carp, now, b_config, sizeof b_config - 1, 0, 0,
						&report), "apply_config");
		put("B config: ");
		put_u(report.added, 0);
		put(" added, ");
		put_u(report.knobs, 0);
		put(" knobs");
		end_line();
	}
	check(b, carp_host_sysctl_get(b->carp, "net.inet.carp.preempt", &preempt), "sysctl");
	{
		carp_req req;
		check(b, carp_host_get_carpreq(b->carp, "carp0", 0, &req, sizeof req), "carpreq");
		put("B carpreq: vhid ");
		put_i(req.vhid);
		put(" advbase ");
		put_i(req.advbase);
		put(" advskew ");
		put_i(req.advskew);
		put(" carpdev ");
		put((const char *)req.carpdev);
		put(" state ");
		put(carp_state_name(req.state));
		put(" preempt ");
		put_i(preempt);
		end_line();
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
			put_u(now, 10);
			put(" us  A killed (no more frames or time)");
			end_line();
		}
		if (killed_at && carp_host_state(b->carp, b->em0, 1) == CARP_STATE_MASTER)
			break;
		deadline = next_deadline(hosts, 2);
		if (deadline == UINT64_MAX || deadline > 60000000)
			fail("no takeover within 60 s", 0);
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
		put("takeover: B is MASTER at ");
		put_u(now, 0);
		put(" us, ");
		put_u(now - killed_at, 0);
		put(" us after A died");
		end_line();
		put("adverts: A sent ");
		put_u(sa.opackets, 0);
		put(", B sent ");
		put_u(sb.opackets, 0);
		put(" and received ");
		put_u(sb.ipackets, 0);
		end_line();
		rc = carp_host_status(b->carp, "carp0", status, sizeof status);
		check(b, rc, "status");
		if ((size_t)rc >= sizeof status)
			fail("status cut", 0);
		put("B: ifconfig carp0");
		end_line();
		write_out(status, (size_t)rc);
	}

	/* A graceful exit: destroy bows the master out with an advert of
	 * advskew 255 (Ethernet 14 + IPv4 20 bytes, then the CARP header:
	 * version/type, vhid, advskew). */
	check(b, carp_host_ifconfig(b->carp, now, "carp0", "destroy", 7, 0), "destroy");
	for (i = 0; i < (int)a->inbox.count; i++) {
		const uint8_t *f = a->inbox.frames[i].data;
		if (a->inbox.frames[i].len >= 14 + 20 + 36 && f[23] == 112) {
			put("B bowed out: advert vhid ");
			put_u(f[35], 0);
			put(" advskew ");
			put_u(f[36], 0);
			end_line();
		}
	}
	for (i = 0; i < 2; i++)
		carp_host_fini(hosts[i].carp);
}

/* ---- the program ---- */

static struct host hosts[2] = {
	{ .name = "A", .mac = { 2, 0, 0, 0, 0, 0xa }, .ip = { 192, 0, 2, 1 }, .alive = 1 },
	{ .name = "B", .mac = { 2, 0, 0, 0, 0, 0xb }, .ip = { 192, 0, 2, 2 }, .alive = 1 },
};

int run(void)
{
	int i;

	put("figure host_size ");
	put_u(carp_host_size(), 0);
	put(" host_align ");
	put_u(carp_host_align(), 0);
	end_line();
	for (i = 0; i < 2; i++) {
		hosts[i].mem = arena_take(carp_host_size(), carp_host_align());
		if (!hosts[i].mem)
			fail("arena too small for two hosts", 0);
	}
	hosts[0].peer = &hosts[1].inbox;
	hosts[1].peer = &hosts[0].inbox;

	memory_contract(&hosts[0]);
	capacities(&hosts[0]);
	failover(hosts);
	return 0;
}
