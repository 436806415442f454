/* Basic types shared by the hypervisor and the host builds of its sources. */
#ifndef BATON_TYPES_H
#define BATON_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;   /* physical (machine) address */
typedef uint64_t mfn_t;     /* machine frame number */
typedef uint64_t pfn_t;

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1ULL << PAGE_SHIFT)
#define PAGE_MASK       (~(PAGE_SIZE - 1))

#define KiB(x)          ((uint64_t)(x) << 10)
#define MiB(x)          ((uint64_t)(x) << 20)
#define GiB(x)          ((uint64_t)(x) << 30)

#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))

#define __packed         __attribute__((packed))
#define __aligned(n)     __attribute__((aligned(n)))
#define __noreturn       __attribute__((noreturn))
#define __printf(a, b)   __attribute__((format(printf, a, b)))
#define __unused         __attribute__((unused))

#endif
