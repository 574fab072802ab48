/*
 * runtime.h: the freestanding failover program's stand-in for libc
 * (runtime.c): line output to stdout, exit, the memory functions.
 */
#ifndef RUNTIME_H
#define RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* The program, called by _start on the painted stack; its value is the
 * exit status. */
int run(void);

/* Text to the current line; end_line() writes it, with a newline. */
void put(const char *s);
/* `v` in decimal, right-aligned in `width` columns. */
void put_u(uint64_t v, int width);
void put_i(int64_t v);
void end_line(void);
/* Bytes straight to stdout (no line open). */
void write_out(const char *s, size_t len);
/* Drops the current line, prints "FAILED: what[: why]" and exits 1. */
__attribute__((noreturn)) void fail(const char *what, const char *why);
__attribute__((noreturn)) void sys_exit(int code);

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
