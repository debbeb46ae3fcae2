// Includes a libc header first: it is what defines __GLIBC__.
#include <stdlib.h>
#include "CTapCompareMalloc.h"

#if defined(__GLIBC__)
#include <malloc.h>

int c_tapcompare_malloc_trim(void) {
    return malloc_trim(0);
}

int c_tapcompare_malloc_info(size_t *in_use, size_t *free_held) {
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *free_held = info.fordblks;
    return 0;
#else
    (void)in_use;
    (void)free_held;
    return -1;
#endif
}

#else

int c_tapcompare_malloc_trim(void) {
    return -1;
}

int c_tapcompare_malloc_info(size_t *in_use, size_t *free_held) {
    (void)in_use;
    (void)free_held;
    return -1;
}

#endif
