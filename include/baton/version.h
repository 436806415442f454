/* Version and build identity of the running image. */
#ifndef BATON_VERSION_H
#define BATON_VERSION_H

/* "0.1-b" style: major.minor and the Kconfig suffix. */
const char *baton_version(void);
/* The GNU build id as lowercase hex, or "unknown". */
const char *baton_build_id(void);

#endif
