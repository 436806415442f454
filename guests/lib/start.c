/*
 * Runtime start: check the start info the builder left us, set up the
 * console ring and events, run the workload, shut the domain down.
 */
#include "rt.h"
#include "cmdline.h"

const struct start_info *rt_start_info;
struct shared_info *rt_shared_info;
struct console_ring *rt_console;

/* Our own NUL-terminated copy: the start info page is guest-writable memory. */
static char cmdline[START_INFO_CMDLINE_LEN];
static char name[START_INFO_NAME_LEN];

/* Called by entry.asm with the start info address the builder put in rdi. */
__noreturn_fn void guest_start(const struct start_info *si);

__noreturn_fn void rt_exit(uint32_t reason)
{
    for (;;) {
        hc_domain_shutdown(reason);
        /* shutdown does not return; if it did, do not run on */
        hc_sched_block();
    }
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    /* no events: a handler must not print into the middle of this */
    events_disable();
    n = rt_snprintf(buf, sizeof(buf), "PANIC: ");
    va_start(ap, fmt);
    n += rt_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    va_end(ap);
    console_write_early(buf, strnlen(buf, sizeof(buf)));
    console_write_early("\n", 1);
    rt_exit(SHUTDOWN_crash);
}

/* The start info is the builder's word: check it before trusting any field. */
static const char *start_info_problem(const struct start_info *si)
{
    uint64_t image_end = (uint64_t)(uintptr_t)__image_end;

    if ((uint64_t)(uintptr_t)si != PV_START_INFO_GPA)
        return "start info not at 0x1000";
    if (si->magic != START_INFO_MAGIC)
        return "bad start info magic";
    if ((si->abi_version >> 16) != PV_ABI_VERSION_MAJOR)
        return "unsupported ABI major version";
    if (si->mem_size < PV_MIN_MEM_SIZE || si->mem_size % PV_PAGE_SIZE ||
        si->mem_size > GNT_WINDOW_BASE || si->mem_size < image_end)
        return "bad mem_size";
    if (si->shared_info != PV_SHARED_INFO_GPA)
        return "shared info not at 0x2000";
    if (si->console_ring != PV_CONSOLE_RING_GPA)
        return "console ring not at 0x3000";
    if (si->console_port == 0 || si->console_port >= NR_EVTCHN_PORTS)
        return "bad console port";
    if (si->nr_vcpus == 0 || si->nr_vcpus > MAX_VIRT_CPUS)
        return "bad nr_vcpus";
    return NULL;
}

static void copy_string(char *dst, const char *src, size_t size)
{
    size_t n = strnlen(src, size - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

void guest_start(const struct start_info *si)
{
    const char *problem = start_info_problem(si);

    if (problem)
        panic("%s", problem);   /* console_write: no ring yet */
    rt_start_info = si;
    rt_shared_info = (struct shared_info *)(uintptr_t)si->shared_info;
    copy_string(cmdline, si->cmdline, sizeof(cmdline));
    copy_string(name, si->name, sizeof(name));
    evtchn_init();
    rt_console = (struct console_ring *)(uintptr_t)si->console_ring;

    int rc = guest_main();
    printf("%s: exit rc=%d\n", name, rc);
    rt_exit(rc ? SHUTDOWN_crash : SHUTDOWN_poweroff);
}

uint16_t rt_domid(void)
{
    return rt_start_info->domid;
}

uint64_t rt_mem_size(void)
{
    return rt_start_info->mem_size;
}

const char *rt_name(void)
{
    return name;
}

const char *rt_cmdline(void)
{
    return cmdline;
}

uint64_t rt_param_u64(const char *key, uint64_t dflt)
{
    uint64_t v;
    int rc = cmdline_u64(cmdline, key, &v);

    if (rc == -BATON_ENOENT)
        return dflt;
    if (rc < 0)
        panic("bad value for %s= in cmdline \"%s\" (rc=%d)", key, cmdline, rc);
    return v;
}

bool rt_param_str(const char *key, char *buf, size_t size, const char *dflt)
{
    if (cmdline_str(cmdline, key, buf, size))
        return true;
    copy_string(buf, dflt, size);
    return false;
}
