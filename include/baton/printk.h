/* Console logging with levels; common/printk.c in the hypervisor. */
#ifndef BATON_PRINTK_H
#define BATON_PRINTK_H

#include <baton/types.h>

enum log_level {
    LOG_EMERG = 0,
    LOG_ERR = 3,
    LOG_WARN = 4,
    LOG_INFO = 6,
    LOG_DEBUG = 7,
};

void printk(int level, const char *fmt, ...) __printf(2, 3);

/*
 * The log ring (common/printk.c): everything printed, positions counted in
 * octets since boot. It holds [log_ring_start(), log_ring_end()); older
 * octets are overwritten. log_ring_span gives the octets held from pos on
 * that are contiguous in the ring (at most max; 0 when pos is not held)
 * and points *at at them. The hypervisor is not preemptible: nothing is
 * logged between these calls unless the caller prints.
 */
#define LOG_RING_SIZE 16384
uint64_t log_ring_start(void);
uint64_t log_ring_end(void);
size_t log_ring_span(uint64_t pos, size_t max, const char **at);
void printk_set_level(int level);
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

#define BUG_ON(cond) \
    do { if (cond) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); } while (0)

#ifdef CONFIG_DEBUG
#define ASSERT(cond) BUG_ON(!(cond))
#else
#define ASSERT(cond) do { (void)sizeof(cond); } while (0)
#endif

#endif
