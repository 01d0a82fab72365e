/* The few libc string functions Lamina needs (the compiler emits calls too). */
#ifndef CORE_STRING_H
#define CORE_STRING_H

#include "core/types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *memmem_find(const void *hay, size_t hlen, const void *needle, size_t nlen);

#endif
