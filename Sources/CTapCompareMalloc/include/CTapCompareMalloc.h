#ifndef C_TAPCOMPARE_MALLOC_H
#define C_TAPCOMPARE_MALLOC_H

#include <stddef.h>

/// glibc's `malloc_trim(0)`: returns the free memory of every malloc arena to the operating system (whole free
/// pages inside an arena are discarded with madvise, not only the arena's top). Returns 1 when memory was
/// returned, 0 when there was none, and -1 where the C library is not glibc (nothing is done).
int c_tapcompare_malloc_trim(void);

/// glibc's `mallinfo2()`: `in_use` gets the bytes allocated and not yet freed (arena and mmapped chunks),
/// `free_held` the bytes malloc holds free in its arenas. Returns 0, or -1 where unavailable (not glibc, or
/// glibc older than 2.33).
int c_tapcompare_malloc_info(size_t *in_use, size_t *free_held);

#endif
