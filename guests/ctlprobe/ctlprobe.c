/*
 * ctlprobe: exercises control_op (include/public/control.h) and, as an
 * unprivileged domain, kexec_op.
 *
 * Unprivileged (any domain but 0): every control_op command, an unknown
 * one and every kexec_op command, each with a bad argument pointer too
 * (the -EPERM must come before the argument is read): prints
 * "CTLPROBE rc <what> <rc>" for each, then "CTLPROBE DONE".
 *
 * Privileged (domain 0): argument validation, then list, info, pause and
 * unpause of `target`, create (of the heartbeat image embedded in this
 * one: payload.asm) and destroy, twice (the slot and id are reused),
 * destroy of the dead domain `dead` and of `busy` (whose grant another
 * domain maps: -EBUSY), console_read and memory_map, and last lu_rehearse.
 * Prints "CTLPROBE OK <what>" or "CTLPROBE FAIL <what> ...", data lines
 * ("CTLPROBE list ...", "CTLPROBE e820 ...") for the test to compare with
 * the hypervisor's log, and "CTLPROBE DONE ok=<n> fail=<n>".
 *
 * cmdline (privileged): target=ID (default 1) dead=ID busy=ID (0: skip)
 */
#include "rt.h"
#include <public/control.h>

#define E(x)            (-(int64_t)BATON_##x)
#define BAD_PTR         ((void *)0xffff800000000000ull)
#define KEXEC_CMDS      8       /* Xen's KEXEC_CMD_* are 0..6; 7 is unknown */
#define LIST_MAX        64

extern const uint8_t payload_start[], payload_end[];

static unsigned n_ok, n_fail;
static char text[8192];
static struct control_domain_info infos[LIST_MAX];
static struct control_e820 e820[128];

static void ok(const char *what)
{
    n_ok++;
    printf("CTLPROBE OK %s\n", what);
}

static void fail(const char *what, int64_t got, int64_t want)
{
    n_fail++;
    printf("CTLPROBE FAIL %s rc=%ld want %ld\n", what, got, want);
}

static void expect(const char *what, int64_t got, int64_t want)
{
    if (got == want)
        ok(what);
    else
        fail(what, got, want);
}

static void check(const char *what, bool cond, int64_t value)
{
    if (cond)
        ok(what);
    else
        fail(what, value, -9999);
}

static struct control_op_header hdr(uint32_t cmd)
{
    return (struct control_op_header){ .cmd = cmd, .version = CONTROL_OP_VERSION };
}

/* ------------------------------------------------------------ unprivileged */

static void unprivileged(void)
{
    static uint8_t arg[256] __attribute__((aligned(16)));
    char what[64];

    printf("ctlprobe: dom%u, unprivileged\n", rt_domid());
    for (uint32_t cmd = 0; cmd <= NR_CONTROL_OPS; cmd++) {
        struct control_op_header *h = (struct control_op_header *)arg;

        *h = hdr(cmd);
        rt_snprintf(what, sizeof(what), "control_op/%u", cmd);
        printf("CTLPROBE rc %s %ld\n", what, hc_control_op(cmd, arg));
        rt_snprintf(what, sizeof(what), "control_op/%u/badptr", cmd);
        printf("CTLPROBE rc %s %ld\n", what, hc_control_op(cmd, BAD_PTR));
    }
    for (uint32_t cmd = 0; cmd < KEXEC_CMDS; cmd++) {
        memset(arg, 0, sizeof(arg));
        rt_snprintf(what, sizeof(what), "kexec_op/%u", cmd);
        printf("CTLPROBE rc %s %ld\n", what,
               hypercall5(HYPERCALL_kexec_op, cmd, (uint64_t)(uintptr_t)arg, 0, 0, 0));
        rt_snprintf(what, sizeof(what), "kexec_op/%u/badptr", cmd);
        printf("CTLPROBE rc %s %ld\n", what,
               hypercall5(HYPERCALL_kexec_op, cmd, (uint64_t)(uintptr_t)BAD_PTR, 0, 0, 0));
    }
    printf("CTLPROBE DONE\n");
}

/* ------------------------------------------------------------ helpers */

static int64_t dom_op(uint32_t cmd, uint16_t domid, struct control_domain_info *info)
{
    struct control_domain_op op = { .hdr = hdr(cmd), .domid = domid };
    int64_t rc = hc_control_op(cmd, &op);

    if (info)
        *info = op.info;
    return rc;
}

static int64_t list(uint32_t *nr)
{
    struct control_domain_list l = { .hdr = hdr(CONTROL_domain_list), .max = LIST_MAX,
                                     .buf = (uint64_t)(uintptr_t)infos };
    int64_t rc = hc_control_op(CONTROL_domain_list, &l);

    *nr = l.nr;
    return rc;
}

static const struct control_domain_info *listed(uint32_t nr, uint16_t domid)
{
    for (uint32_t i = 0; i < nr; i++)
        if (infos[i].domid == domid)
            return &infos[i];
    return NULL;
}

static int64_t create(const void *image, uint64_t size, const char *config, uint16_t *domid)
{
    struct control_domain_create c = {
        .hdr = hdr(CONTROL_domain_create), .image = (uint64_t)(uintptr_t)image,
        .image_size = size, .config = (uint64_t)(uintptr_t)config,
        .config_len = (uint32_t)strlen(config),
    };
    int64_t rc = hc_control_op(CONTROL_domain_create, &c);

    *domid = c.domid;
    return rc;
}

static void print_info(const char *tag, const struct control_domain_info *i)
{
    printf("CTLPROBE %s d%u '%s' state=%u flags=%#x vcpus=%u mem=%lu pause=%u reason=%u "
           "extents=%u\n", tag, i->domid, i->name, i->state, i->flags, i->nr_vcpus,
           i->mem_size, i->pause_count, i->shutdown_reason, i->nr_extents);
}

/* ------------------------------------------------------------ validation */

static void check_validation(void)
{
    struct control_op_header h = hdr(CONTROL_domain_list);
    struct control_domain_op op = { .hdr = hdr(CONTROL_domain_info), .domid = 0 };
    struct control_domain_list l = { .hdr = hdr(CONTROL_domain_list), .max = 0 };
    struct control_memory_map m = { .hdr = hdr(CONTROL_memory_map), .max = 0 };
    struct control_console_read r = { .hdr = hdr(CONTROL_console_read), .offset = ~0ull };

    expect("unknown cmd 0", hc_control_op(0, &h), E(ENOSYS));
    expect("unknown cmd NR_CONTROL_OPS", hc_control_op(NR_CONTROL_OPS, &h), E(ENOSYS));
    expect("unknown cmd ~0", hc_control_op(0xffffffffu, &h), E(ENOSYS));
    expect("list bad pointer", hc_control_op(CONTROL_domain_list, BAD_PTR), E(EFAULT));
    expect("list null pointer", hc_control_op(CONTROL_domain_list, NULL), E(EFAULT));
    expect("header cmd differs", hc_control_op(CONTROL_domain_info, &l), E(EINVAL));
    op.hdr.version = 2;
    expect("version 2", hc_control_op(CONTROL_domain_info, &op), E(EINVAL));
    op.hdr.version = CONTROL_OP_VERSION;
    op.pad[1] = 1;
    expect("domain_op pad", hc_control_op(CONTROL_domain_info, &op), E(EINVAL));
    expect("info of absent domain", dom_op(CONTROL_domain_info, 0x7000, NULL), E(ENOENT));
    expect("info of reserved domid", dom_op(CONTROL_domain_info, 0x7ff0, NULL), E(ENOENT));
    expect("pause of domain 0", dom_op(CONTROL_domain_pause, 0, NULL), E(EINVAL));
    expect("unpause of domain 0", dom_op(CONTROL_domain_unpause, 0, NULL), E(EINVAL));
    expect("destroy of domain 0", dom_op(CONTROL_domain_destroy, 0, NULL), E(EINVAL));
    expect("destroy of absent domain", dom_op(CONTROL_domain_destroy, 0x7000, NULL), E(ENOENT));
    expect("list max 0", hc_control_op(CONTROL_domain_list, &l), E(E2BIG));
    check("list max 0 says how many", l.nr >= 1, l.nr);
    l.max = LIST_MAX;
    l.buf = (uint64_t)(uintptr_t)BAD_PTR;
    expect("list bad buffer", hc_control_op(CONTROL_domain_list, &l), E(EFAULT));
    expect("memory_map max 0", hc_control_op(CONTROL_memory_map, &m), E(E2BIG));
    check("memory_map max 0 says how many", m.nr >= 1, m.nr);
    expect("console_read offset past the end", hc_control_op(CONTROL_console_read, &r), E(EINVAL));
    r.offset = 0;
    r.size = 16;
    r.buf = (uint64_t)(uintptr_t)BAD_PTR;
    expect("console_read bad buffer", hc_control_op(CONTROL_console_read, &r), E(EFAULT));
}

static void check_create_validation(void)
{
    static const char junk[64] = "this is not an ELF image";
    struct control_domain_create c = {
        .hdr = hdr(CONTROL_domain_create), .image = (uint64_t)(uintptr_t)payload_start,
        .image_size = (uint64_t)(payload_end - payload_start),
        .config = (uint64_t)(uintptr_t)"name=x", .config_len = 6,
    };
    struct control_domain_create b;
    uint16_t domid;

    b = c; b.pad = 1;
    expect("create pad", hc_control_op(CONTROL_domain_create, &b), E(EINVAL));
    b = c; b.image_size = 0;
    expect("create image_size 0", hc_control_op(CONTROL_domain_create, &b), E(EINVAL));
    b = c; b.image_size = CONTROL_IMAGE_MAX + 1;
    expect("create image_size max+1", hc_control_op(CONTROL_domain_create, &b), E(E2BIG));
    b = c; b.image_size = ~0ull;
    expect("create image_size ~0", hc_control_op(CONTROL_domain_create, &b), E(E2BIG));
    b = c; b.config_len = CONTROL_CONFIG_MAX + 1;
    expect("create config_len max+1", hc_control_op(CONTROL_domain_create, &b), E(E2BIG));
    b = c; b.config_len = 0xffffffffu;
    expect("create config_len ~0", hc_control_op(CONTROL_domain_create, &b), E(E2BIG));
    b = c; b.image = (uint64_t)(uintptr_t)BAD_PTR;
    expect("create bad image pointer", hc_control_op(CONTROL_domain_create, &b), E(EFAULT));
    b = c; b.image_size = rt_mem_size();        /* runs past the end of this domain */
    expect("create image past memory", hc_control_op(CONTROL_domain_create, &b), E(EFAULT));
    b = c; b.config = (uint64_t)(uintptr_t)BAD_PTR;
    expect("create bad config pointer", hc_control_op(CONTROL_domain_create, &b), E(EFAULT));
    b = c; b.config = (uint64_t)(uintptr_t)"name=x\0yz"; b.config_len = 9;
    expect("create NUL in config", hc_control_op(CONTROL_domain_create, &b), E(EINVAL));
    expect("create junk image", create(junk, sizeof(junk), "name=junk", &domid), E(EINVAL));
    expect("create bad config", create(payload_start, (uint64_t)(payload_end - payload_start),
                                       "name=bad mem=1G1", &domid), E(EINVAL));
    expect("create truncated image", create(payload_start, 200, "name=trunc", &domid), E(EINVAL));
}

/* ------------------------------------------------------------ domains */

static void check_list_info(uint16_t target)
{
    struct control_domain_info info;
    const struct control_domain_info *l;
    uint32_t nr = 0;
    int64_t rc = list(&nr);

    expect("list", rc, 0);
    for (uint32_t i = 0; i < nr; i++)
        print_info("list", &infos[i]);
    check("list ascending", nr >= 2 && infos[0].domid == 0, nr);
    for (uint32_t i = 1; i < nr; i++)
        if (infos[i].domid <= infos[i - 1].domid)
            fail("list order", infos[i].domid, infos[i - 1].domid + 1);
    check("list d0 privileged and alive", infos[0].flags == CONTROL_DOMAIN_PRIVILEGED &&
          infos[0].state == CONTROL_DOMAIN_ALIVE && infos[0].mem_size == rt_mem_size() &&
          strcmp(infos[0].name, rt_name()) == 0, infos[0].flags);
    rc = dom_op(CONTROL_domain_info, target, &info);
    expect("info target", rc, 0);
    l = listed(nr, target);
    check("info matches list", l && memcmp(l, &info, sizeof(info)) == 0, target);
    print_info("info", &info);
}

static void check_pause(uint16_t target)
{
    struct control_domain_info info;

    expect("pause", dom_op(CONTROL_domain_pause, target, NULL), 0);
    dom_op(CONTROL_domain_info, target, &info);
    check("paused flag", info.flags & CONTROL_DOMAIN_PAUSED && info.pause_count == 1, info.flags);
    expect("pause again", dom_op(CONTROL_domain_pause, target, NULL), 0);
    printf("CTLPROBE paused d%u\n", target);
    sleep_ms(1500);
    printf("CTLPROBE unpausing d%u\n", target);
    expect("unpause", dom_op(CONTROL_domain_unpause, target, NULL), 0);
    dom_op(CONTROL_domain_info, target, &info);
    check("still paused once", info.pause_count == 1, info.pause_count);
    expect("unpause again", dom_op(CONTROL_domain_unpause, target, NULL), 0);
    dom_op(CONTROL_domain_info, target, &info);
    check("running", !(info.flags & CONTROL_DOMAIN_PAUSED) && info.pause_count == 0, info.flags);
    expect("unpause unpaused", dom_op(CONTROL_domain_unpause, target, NULL), E(EINVAL));
}

/* Create from the embedded heartbeat, check it, destroy it; the id it got. */
static uint16_t create_destroy(const char *name, unsigned round)
{
    char config[128], what[64];
    struct control_domain_info info;
    uint16_t domid = 0xffff;
    uint32_t nr;
    int64_t rc;

    rt_snprintf(config, sizeof(config), "name=%s mem=4M cmdline=\"period=100 count=%u\"", name,
                round == 0 ? 0u : 5u);
    rc = create(payload_start, (uint64_t)(payload_end - payload_start), config, &domid);
    rt_snprintf(what, sizeof(what), "create %s", name);
    expect(what, rc, 0);
    if (rc)
        return domid;
    printf("CTLPROBE created d%u '%s'\n", domid, name);
    rc = dom_op(CONTROL_domain_info, domid, &info);
    check("created domain listed", rc == 0 && strcmp(info.name, name) == 0 &&
          info.state == CONTROL_DOMAIN_ALIVE && info.flags == 0 && info.mem_size == (4u << 20),
          rc);
    /* let it run: the first round until it beats, the second until it is done */
    sleep_ms(round == 0 ? 1000 : 2000);
    rc = dom_op(CONTROL_domain_info, domid, &info);
    print_info("created", &info);
    if (round == 1)
        check("heartbeat count=5 shut down", info.state == CONTROL_DOMAIN_SHUTDOWN &&
              info.shutdown_reason == SHUTDOWN_poweroff, info.state);
    rt_snprintf(what, sizeof(what), "destroy %s", name);
    expect(what, dom_op(CONTROL_domain_destroy, domid, NULL), 0);
    printf("CTLPROBE destroyed d%u '%s'\n", domid, name);
    expect("destroyed domain gone", dom_op(CONTROL_domain_info, domid, NULL), E(ENOENT));
    expect("destroy again", dom_op(CONTROL_domain_destroy, domid, NULL), E(ENOENT));
    list(&nr);
    check("destroyed domain not listed", listed(nr, domid) == NULL, domid);
    return domid;
}

static void check_create_destroy(void)
{
    uint16_t first = create_destroy("born", 0);
    uint16_t second = create_destroy("reborn", 1);

    check("domain id reused", first == second && first != 0xffff, second);
}

static void check_destroy_dead(uint16_t dead, uint16_t busy)
{
    struct control_domain_info info;

    if (dead) {
        expect("info dead", dom_op(CONTROL_domain_info, dead, &info), 0);
        print_info("dead", &info);
        check("dead is crashed", info.state == CONTROL_DOMAIN_CRASHED, info.state);
        expect("destroy dead", dom_op(CONTROL_domain_destroy, dead, NULL), 0);
        expect("dead gone", dom_op(CONTROL_domain_info, dead, NULL), E(ENOENT));
    }
    if (busy) {
        expect("destroy granter still mapped", dom_op(CONTROL_domain_destroy, busy, NULL), E(EBUSY));
        expect("busy still there", dom_op(CONTROL_domain_info, busy, &info), 0);
        check("busy still alive", info.state == CONTROL_DOMAIN_ALIVE, info.state);
    }
}

/* ------------------------------------------------------------ console, memory */

static int64_t console_read(uint64_t offset, uint32_t size, struct control_console_read *r)
{
    *r = (struct control_console_read){ .hdr = hdr(CONTROL_console_read),
                                        .buf = (uint64_t)(uintptr_t)text, .size = size,
                                        .offset = offset };
    return hc_control_op(CONTROL_console_read, r);
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

static void check_console(void)
{
    struct control_console_read r;
    uint64_t offset = 0, lost = 0, total = 0;
    bool found_banner = false, found_pause = false;
    int64_t rc;

    expect("console_read size 0", console_read(0, 0, &r), 0);
    check("size 0 reads nothing", r.len == 0 && r.next == r.lost, r.len);
    for (unsigned i = 0; i < 64; i++) {
        rc = console_read(offset, sizeof(text) - 1, &r);
        if (rc) {
            fail("console_read", rc, 0);
            return;
        }
        if (offset && r.lost) {
            fail("console_read lost in the middle", (int64_t)r.lost, 0);
            return;
        }
        lost += r.lost;
        total += r.len;
        text[r.len] = '\0';
        found_banner |= contains(text, r.len, "(HV) Baton");
        found_pause |= contains(text, r.len, "paused by d0");
        if (r.next != offset + r.lost + r.len) {
            fail("console_read next", (int64_t)r.next, (int64_t)(offset + r.lost + r.len));
            return;
        }
        offset = r.next;
        if (r.len == 0)
            break;
    }
    printf("CTLPROBE console read %lu octets up to %lu, %lu lost\n", total, offset, lost);
    check("console_read reaches the end", r.len == 0, r.len);
    check("console_read sees this probe's pause", found_pause, 0);
    /* the ring holds 16 KiB: the banner was overwritten, or it is there */
    check("console_read banner or loss", found_banner || lost > 0, (int64_t)lost);
}

static void check_memory_map(void)
{
    struct control_memory_map m = { .hdr = hdr(CONTROL_memory_map), .max = 128,
                                    .buf = (uint64_t)(uintptr_t)e820 };
    uint64_t ram = 0;

    expect("memory_map", hc_control_op(CONTROL_memory_map, &m), 0);
    for (uint32_t i = 0; i < m.nr && i < 128; i++) {
        printf("CTLPROBE e820 %016lx %016lx %u\n", e820[i].addr, e820[i].size, e820[i].type);
        if (e820[i].type == CONTROL_E820_RAM)
            ram += e820[i].size;
        if (e820[i].pad)
            fail("e820 pad", e820[i].pad, 0);
    }
    check("memory_map has RAM", m.nr >= 1 && ram >= rt_mem_size(), (int64_t)ram);
}

static void check_rehearse(void)
{
    struct control_op_header h = hdr(CONTROL_lu_rehearse);
    int64_t rc = hc_control_op(CONTROL_lu_rehearse, &h);

    printf("CTLPROBE rehearse rc=%ld\n", rc);
    expect("lu_rehearse", rc, 0);
    /* paused, saved, dropped and restored by now: carry on */
    printf("CTLPROBE after rehearsal t=%lums\n", now_ms());
    sleep_ms(200);
    rc = hc_control_op(CONTROL_lu_rehearse, &h);
    expect("lu_rehearse again", rc, 0);
    printf("CTLPROBE after second rehearsal t=%lums\n", now_ms());
}

static void privileged(void)
{
    uint16_t target = (uint16_t)rt_param_u64("target", 1);
    uint16_t dead = (uint16_t)rt_param_u64("dead", 0);
    uint16_t busy = (uint16_t)rt_param_u64("busy", 0);

    printf("ctlprobe: dom%u, privileged; heartbeat image %lu octets\n", rt_domid(),
           (uint64_t)(payload_end - payload_start));
    sleep_ms(500);          /* let the boot domains settle (crash, map) */
    check_validation();
    check_create_validation();
    check_list_info(target);
    check_pause(target);
    check_create_destroy();
    check_destroy_dead(dead, busy);
    check_console();
    check_memory_map();
    check_rehearse();
    printf("CTLPROBE DONE ok=%u fail=%u\n", n_ok, n_fail);
}

int guest_main(void)
{
    if (rt_start_info->flags & SIF_PRIVILEGED)
        privileged();
    else
        unprivileged();
    for (;;)
        sleep_ms(1000);
}
