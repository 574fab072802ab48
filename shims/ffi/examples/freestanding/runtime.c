/*
 * runtime.c: what the freestanding failover program has instead of libc,
 * as a kernel would have it: its own _start and stack, two Linux system
 * calls (write, exit_group), the memory functions the library and GCC
 * need (memcpy, memmove, memset, memcmp), carp_panic, and line output.
 * _start paints the stack, runs run() (failover.c), prints the deepest
 * stack use as a "figure" line and exits with run()'s value.
 */
#define CARP_FREESTANDING 1
#include "carp.h"
#include "runtime.h"

#define STACK_SIZE 262144
#define PAINT 0xa5

unsigned char example_stack[STACK_SIZE] __attribute__((aligned(16)));

#define STR_(x) #x
#define STR(x) STR_(x)
__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	lea example_stack+" STR(STACK_SIZE) "(%rip), %rsp\n"
	"	call runtime_start\n"
	"	ud2\n");

static long syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static void sys_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		long n = syscall3(1 /* write */, fd, (long)p, (long)len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

__attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		syscall3(231 /* exit_group */, code, 0, 0);
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	size_t i;
	if (d < s) {
		for (i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		while (n-- > 0)
			d[n] = s[n];
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;
	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* The kernel's panic: say why on stderr and end. (Declared in carp.h.) */
void carp_panic(const char *msg, size_t len)
{
	sys_write(2, "carp_panic: ", 12);
	sys_write(2, msg, len);
	sys_write(2, "\n", 1);
	sys_exit(70);
}

/* ---- output: one line at a time, to stdout ---- */

static char line[512];
static size_t line_len;

void put(const char *s)
{
	while (*s && line_len < sizeof line)
		line[line_len++] = *s++;
}

/* `v` in decimal, right-aligned in `width` columns. */
void put_u(uint64_t v, int width)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (width-- > n)
		put(" ");
	while (n > 0) {
		char c[2] = { digits[--n], 0 };
		put(c);
	}
}

void put_i(int64_t v)
{
	if (v < 0) {
		put("-");
		put_u((uint64_t)0 - (uint64_t)v, 0);
	} else {
		put_u((uint64_t)v, 0);
	}
}

void end_line(void)
{
	if (line_len < sizeof line)
		line[line_len++] = '\n';
	sys_write(1, line, line_len);
	line_len = 0;
}

void write_out(const char *s, size_t len)
{
	sys_write(1, s, len);
}

void fail(const char *what, const char *why)
{
	line_len = 0;
	put("FAILED: ");
	put(what);
	if (why) {
		put(": ");
		put(why);
	}
	end_line();
	sys_exit(1);
}

/* Bytes of example_stack ever written below the paint. */
static size_t stack_used(void)
{
	size_t i = 0;
	while (i < STACK_SIZE && example_stack[i] == PAINT)
		i++;
	return STACK_SIZE - i;
}

__attribute__((noreturn, used)) void runtime_start(void)
{
	unsigned char *here = __builtin_frame_address(0);
	int rc;

	/* Paint the stack below this frame, to find the deepest use. */
	memset(example_stack, PAINT, (size_t)(here - example_stack) - 1024);
	rc = run();
	put("figure stack_used ");
	put_u(stack_used(), 0);
	end_line();
	sys_exit(rc);
}
