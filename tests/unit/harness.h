/* Host harness for unit tests of hypervisor sources. */
#ifndef TESTS_UNIT_HARNESS_H
#define TESTS_UNIT_HARNESS_H

#include <stdbool.h>

/* Everything printk()ed since the last harness_log_clear(). */
const char *harness_log(void);
void harness_log_clear(void);
/* True when the log holds this text. */
bool harness_log_has(const char *text);

#endif
