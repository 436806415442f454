/*
 * badcall: passes garbage to every hypercall and every sub-op and checks
 * that each one fails, without harming this domain or any other.
 *
 * Per call: "BADCALL OK <name> rc=<rc>" when it failed (with
 * " (spec says <want>)" appended when the error is not the one
 * docs/specs/pv-abi.md names), "BADCALL UNEXPECTED <name> rc=<rc>" when a
 * garbage call succeeded or a sanity check failed; at the end
 * "BADCALL DONE ok=<n> mismatch=<n> unexpected=<n>".
 */
#include "rt.h"

#define E(x)            (-(int64_t)BATON_##x)
#define GARBAGE         0xdeadbeefdeadbeefull
#define NR_BAD_PTRS     9

/* preserve.asm: bitmask of registers (bar rax, rcx, r11) the call changed */
uint64_t hc_preserve_check(uint64_t nr, int64_t *rc_out);

struct bad_ptr {
    const char *name;
    uint64_t addr;
};

static struct bad_ptr bad_ptrs[NR_BAD_PTRS];
static unsigned n_ok, n_mismatch, n_unexpected;
/* A valid page to point at, and to grant. */
static uint8_t scratch[PV_PAGE_SIZE] __attribute__((aligned(PV_PAGE_SIZE)));

/* ------------------------------------------------------------ reporting */

/* want2: a second acceptable error (optional ops may say -ENOSYS), or 0. */
static void expect_err2(const char *name, int64_t rc, int64_t want, int64_t want2)
{
    if (rc >= 0) {
        n_unexpected++;
        printf("BADCALL UNEXPECTED %s rc=%ld (want %ld)\n", name, rc, want);
        return;
    }
    if (rc == want || (want2 && rc == want2)) {
        n_ok++;
        printf("BADCALL OK %s rc=%ld\n", name, rc);
        return;
    }
    n_mismatch++;
    printf("BADCALL OK %s rc=%ld (spec says %ld)\n", name, rc, want);
}

static void expect_err(const char *name, int64_t rc, int64_t want)
{
    expect_err2(name, rc, want, 0);
}

/* For calls that take no argument: garbage in the registers must not matter. */
static void expect_zero(const char *name, int64_t rc)
{
    if (rc != 0) {
        n_unexpected++;
        printf("BADCALL UNEXPECTED %s rc=%ld (want 0)\n", name, rc);
        return;
    }
    n_ok++;
    printf("BADCALL OK %s rc=%ld\n", name, rc);
}

static void sanity_fail(const char *what, int64_t value)
{
    n_unexpected++;
    printf("BADCALL UNEXPECTED sanity/%s value=%ld\n", what, value);
}

/* ---------------------------------------------------------- bad pointers */

static void init_bad_ptrs(void)
{
    uint64_t top = rt_mem_size();
    const struct bad_ptr ptrs[NR_BAD_PTRS] = {
        { "null", 0 },
        { "page0", 0x800 },
        { "straddle-end", top - 2 },        /* every struct is >= 4 bytes */
        { "past-end", top },
        { "unmapped-low", 0x0000600000000000ull },
        { "gnt-unmapped", GNT_WINDOW_ADDR(GNT_WINDOW_SLOTS - 1) },
        { "noncanonical", 0x0000800000000000ull },
        { "hypervisor", 0xffff800000000000ull },
        { "top", 0xfffffffffffffff8ull },
    };

    memcpy(bad_ptrs, ptrs, sizeof(ptrs));
}

/* Every bad pointer as the struct argument of call(cmd, arg): -EFAULT. */
static void each_bad_ptr(const char *what, uint32_t cmd, int64_t (*call)(uint32_t, void *))
{
    char name[80];

    for (unsigned i = 0; i < NR_BAD_PTRS; i++) {
        rt_snprintf(name, sizeof(name), "%s ptr=%s", what, bad_ptrs[i].name);
        expect_err(name, call(cmd, (void *)(uintptr_t)bad_ptrs[i].addr), E(EFAULT));
    }
}

/* ------------------------------------------------------- numbers, registers */

static void check_numbers(void)
{
    const uint64_t nrs[] = { NR_HYPERCALLS, NR_HYPERCALLS + 1, 64, 255, 0xffffffffull,
                             0x100000000ull, 1ull << 63, ~0ull };
    char name[64];

    for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        rt_snprintf(name, sizeof(name), "hypercall nr=%#lx", nrs[i]);
        expect_err(name, hypercall5(nrs[i], 0, 0, 0, 0, 0), E(ENOSYS));
    }
}

static void check_preserve(void)
{
    const uint64_t nrs[] = { HYPERCALL_console_write, HYPERCALL_sched_yield,
                             HYPERCALL_event_channel_op, HYPERCALL_grant_table_op,
                             HYPERCALL_vcpu_op, HYPERCALL_set_timer, 99 };
    char name[64];

    for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        int64_t rc;
        uint64_t changed = hc_preserve_check(nrs[i], &rc);
        rt_snprintf(name, sizeof(name), "preserve nr=%lu", nrs[i]);
        if (changed) {
            n_unexpected++;
            printf("BADCALL UNEXPECTED %s rc=%ld clobbered=%#lx\n", name, rc, changed);
        } else if (nrs[i] == HYPERCALL_sched_yield) {
            expect_zero(name, rc);
        } else {
            /* garbage in every register: any error will do */
            expect_err2(name, rc, rc < 0 ? rc : E(EINVAL), 0);
        }
    }
}

/* ------------------------------------------------------ console and sched */

static void check_console_write(void)
{
    char name[64];

    for (unsigned i = 0; i < NR_BAD_PTRS; i++) {
        rt_snprintf(name, sizeof(name), "console_write ptr=%s", bad_ptrs[i].name);
        expect_err(name, hc_console_write((const char *)(uintptr_t)bad_ptrs[i].addr, 16),
                   E(EFAULT));
    }
    expect_err("console_write straddle-end len=16",
               hc_console_write((const char *)(uintptr_t)(rt_mem_size() - 8), 16), E(EFAULT));
    expect_err("console_write len=4097", hc_console_write((char *)scratch, 4097), E(EINVAL));
    expect_err("console_write len=~0", hc_console_write((char *)scratch, ~0ull), E(EINVAL));
}

static void check_sched(void)
{
    expect_zero("sched_yield garbage-regs",
                hypercall5(HYPERCALL_sched_yield, GARBAGE, GARBAGE, GARBAGE, GARBAGE, GARBAGE));
    /* a timer 1 ms away makes sure the block ends */
    hc_set_timer(now_ns() + NS_PER_MS);
    expect_zero("sched_block garbage-regs",
                hypercall5(HYPERCALL_sched_block, GARBAGE, GARBAGE, GARBAGE, GARBAGE, GARBAGE));
    expect_err("set_timer abs_ns=2^63", hc_set_timer(SET_TIMER_MAX_NS), E(EINVAL));
    expect_err("set_timer abs_ns=~0", hc_set_timer(~0ull), E(EINVAL));
}

/* -------------------------------------------------------- event channels */

static int64_t evtchn_op(uint32_t cmd, void *arg)
{
    return hc_event_channel_op(cmd, arg);
}

static void check_evtchn_alloc_bind(void)
{
    uint16_t me = rt_domid();
    struct evtchn_alloc_unbound au = { .remote_dom = DOMID_FIRST_RESERVED };
    expect_err("alloc_unbound remote_dom=0x7ff0", evtchn_op(EVTCHNOP_alloc_unbound, &au), E(EINVAL));
    au = (struct evtchn_alloc_unbound){ .remote_dom = 0xffff };
    expect_err("alloc_unbound remote_dom=0xffff", evtchn_op(EVTCHNOP_alloc_unbound, &au), E(EINVAL));
    au = (struct evtchn_alloc_unbound){ .remote_dom = 0, .pad = 1 };
    expect_err("alloc_unbound pad=1", evtchn_op(EVTCHNOP_alloc_unbound, &au), E(EINVAL));

    struct evtchn_bind_interdomain bi = { .remote_dom = 0xffff, .remote_port = 1 };
    expect_err("bind_interdomain remote_dom=0xffff", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(EINVAL));
    bi = (struct evtchn_bind_interdomain){ .remote_dom = 0x7000, .remote_port = 1 };
    expect_err("bind_interdomain remote_dom=absent", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(ENOENT));
    bi = (struct evtchn_bind_interdomain){ .remote_dom = me, .remote_port = 0 };
    expect_err("bind_interdomain remote_port=0", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(EINVAL));
    bi = (struct evtchn_bind_interdomain){ .remote_dom = me, .remote_port = NR_EVTCHN_PORTS };
    expect_err("bind_interdomain remote_port=1024", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(EINVAL));
    bi = (struct evtchn_bind_interdomain){ .remote_dom = me, .remote_port = rt_start_info->console_port };
    expect_err("bind_interdomain remote_port=console", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(EINVAL));
    bi = (struct evtchn_bind_interdomain){ .remote_dom = me, .pad = 1, .remote_port = 1 };
    expect_err("bind_interdomain pad=1", evtchn_op(EVTCHNOP_bind_interdomain, &bi), E(EINVAL));
}

static void check_evtchn_virq(void)
{
    struct evtchn_bind_virq bv = { .virq = 99, .vcpu = 0 };
    expect_err("bind_virq virq=99", evtchn_op(EVTCHNOP_bind_virq, &bv), E(EINVAL));
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_CONSOLE, .vcpu = 0 };
    expect_err("bind_virq virq=console", evtchn_op(EVTCHNOP_bind_virq, &bv), E(EINVAL));
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 99 };
    expect_err("bind_virq vcpu=99", evtchn_op(EVTCHNOP_bind_virq, &bv), E(ENOENT));
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = rt_start_info->nr_vcpus };
    expect_err("bind_virq vcpu=nr_vcpus", evtchn_op(EVTCHNOP_bind_virq, &bv), E(ENOENT));
    bv = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 0 };
    expect_err("bind_virq timer-again", evtchn_op(EVTCHNOP_bind_virq, &bv), E(EEXIST));
}

/* send, close, status on ports that are not open (or not ours to close). */
static void check_evtchn_ports(void)
{
    const uint32_t ports[] = { 0, NR_EVTCHN_PORTS, 0xffffffffu, NR_EVTCHN_PORTS - 1 };
    char name[64];

    for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        struct evtchn_send s = { .port = ports[i] };
        struct evtchn_close c = { .port = ports[i] };
        rt_snprintf(name, sizeof(name), "send port=%u", ports[i]);
        expect_err(name, evtchn_op(EVTCHNOP_send, &s), E(EINVAL));
        rt_snprintf(name, sizeof(name), "close port=%u", ports[i]);
        expect_err(name, evtchn_op(EVTCHNOP_close, &c), E(EINVAL));
    }
    for (unsigned i = 0; i < 3; i++) {     /* status of a closed port is not an error */
        struct evtchn_status st = { .port = ports[i] };
        rt_snprintf(name, sizeof(name), "status port=%u", ports[i]);
        expect_err(name, evtchn_op(EVTCHNOP_status, &st), E(EINVAL));
    }
    struct evtchn_send s = { .port = evtchn_timer_port() };
    expect_err("send port=virq", evtchn_op(EVTCHNOP_send, &s), E(EINVAL));
    struct evtchn_close c = { .port = rt_start_info->console_port };
    expect_err("close port=console", evtchn_op(EVTCHNOP_close, &c), E(EPERM));
}

static void check_evtchn(void)
{
    struct evtchn_status st = { .port = 1 };

    expect_err("event_channel_op cmd=6", evtchn_op(NR_EVTCHNOPS, &st), E(ENOSYS));
    expect_err("event_channel_op cmd=~0", evtchn_op(0xffffffffu, &st), E(ENOSYS));
    for (uint32_t cmd = 0; cmd < NR_EVTCHNOPS; cmd++) {
        char what[48];
        rt_snprintf(what, sizeof(what), "event_channel_op cmd=%u", cmd);
        each_bad_ptr(what, cmd, evtchn_op);
    }
    check_evtchn_alloc_bind();
    check_evtchn_virq();
    check_evtchn_ports();
}

/* ------------------------------------------------------------------ grants */

static int64_t gnttab_op(uint32_t cmd, void *arg)
{
    return hc_grant_table_op(cmd, arg);
}

static void grant_case(const char *name, struct gnttab_grant_access ga, int64_t want)
{
    expect_err(name, gnttab_op(GNTTABOP_grant_access, &ga), want);
}

static void check_grant_access(void)
{
    const uint64_t page = (uint64_t)(uintptr_t)scratch >> PV_PAGE_SHIFT;
    const uint16_t other = rt_domid() == 0 ? 1 : 0;
    struct gnttab_grant_access ok = { .ref = 200, .domid = other, .gpfn = page };
    struct gnttab_grant_access ga;

    ga = ok; ga.ref = NR_GRANT_REFS;       grant_case("grant_access ref=256", ga, E(EINVAL));
    ga = ok; ga.ref = 0xffffffffu;         grant_case("grant_access ref=~0", ga, E(EINVAL));
    ga = ok; ga.gpfn = 0;                  grant_case("grant_access gpfn=0", ga, E(EINVAL));
    ga = ok; ga.gpfn = 1;                  grant_case("grant_access gpfn=start_info", ga, E(EINVAL));
    ga = ok; ga.gpfn = rt_mem_size() >> PV_PAGE_SHIFT;
    grant_case("grant_access gpfn=past-end", ga, E(EINVAL));
    ga = ok; ga.gpfn = 1ull << 52;         grant_case("grant_access gpfn=2^52", ga, E(EINVAL));
    ga = ok; ga.gpfn = ~0ull;              grant_case("grant_access gpfn=~0", ga, E(EINVAL));
    ga = ok; ga.flags = 0x8000;            grant_case("grant_access flags=0x8000", ga, E(EINVAL));
    ga = ok; ga.domid = rt_domid();        grant_case("grant_access domid=self", ga, E(EINVAL));
    ga = ok; ga.domid = DOMID_FIRST_RESERVED;
    grant_case("grant_access domid=0x7ff0", ga, E(EINVAL));
    ga = ok; ga.domid = 0xffff;            grant_case("grant_access domid=0xffff", ga, E(EINVAL));

    struct gnttab_end_access ea = { .ref = NR_GRANT_REFS };
    expect_err("end_access ref=256", gnttab_op(GNTTABOP_end_access, &ea), E(EINVAL));
    ea.ref = 5;
    expect_err("end_access ref=not-granted", gnttab_op(GNTTABOP_end_access, &ea), E(ENOENT));
}

static void map_case(const char *name, struct gnttab_map m, int64_t want)
{
    expect_err(name, gnttab_op(GNTTABOP_map, &m), want);
}

static void check_grant_map(void)
{
    const uint16_t other = rt_domid() == 0 ? 1 : 0;
    struct gnttab_map ok = { .domid = other, .ref = 255, .slot = 0 };
    struct gnttab_map m;

    m = ok;                               map_case("map ref=not-granted", m, E(ENOENT));
    m = ok; m.slot = GNT_WINDOW_SLOTS;    map_case("map slot=64", m, E(EINVAL));
    m = ok; m.slot = 0xffffffffu;         map_case("map slot=~0", m, E(EINVAL));
    m = ok; m.ref = NR_GRANT_REFS;        map_case("map ref=256", m, E(EINVAL));
    m = ok; m.domid = rt_domid();         map_case("map domid=self", m, E(EINVAL));
    m = ok; m.domid = DOMID_FIRST_RESERVED; map_case("map domid=0x7ff0", m, E(EINVAL));
    m = ok; m.domid = 0x7000;             map_case("map domid=absent", m, E(ENOENT));
    m = ok; m.flags = 0x10;               map_case("map flags=0x10", m, E(EINVAL));
    m = ok; m.pad = 1;                    map_case("map pad=1", m, E(EINVAL));

    struct gnttab_unmap u = { .slot = GNT_WINDOW_SLOTS };
    expect_err("unmap slot=64", gnttab_op(GNTTABOP_unmap, &u), E(EINVAL));
    u.slot = 5;
    expect_err("unmap slot=not-mapped", gnttab_op(GNTTABOP_unmap, &u), E(ENOENT));
}

static void check_grant(void)
{
    struct gnttab_unmap u = { .slot = 0 };

    expect_err("grant_table_op cmd=4", gnttab_op(NR_GNTTABOPS, &u), E(ENOSYS));
    expect_err("grant_table_op cmd=~0", gnttab_op(0xffffffffu, &u), E(ENOSYS));
    for (uint32_t cmd = 0; cmd < NR_GNTTABOPS; cmd++) {
        char what[48];
        rt_snprintf(what, sizeof(what), "grant_table_op cmd=%u", cmd);
        each_bad_ptr(what, cmd, gnttab_op);
    }
    check_grant_access();
    check_grant_map();
}

/* -------------------------------------------------------------------- vcpu */

static int64_t vcpu0_op(uint32_t cmd, void *arg)
{
    return hc_vcpu_op(cmd, 0, arg);
}

/* If the hypervisor took a garbage entry, put ours back before any upcall. */
static void upcall_case(const char *name, struct vcpu_register_upcall r, int64_t want)
{
    int64_t rc = vcpu0_op(VCPUOP_register_upcall, &r);

    expect_err(name, rc, want);
    if (rc >= 0)
        evtchn_register_upcall();
}

static void check_vcpu(void)
{
    const uint64_t entry = (uint64_t)(uintptr_t)check_vcpu; /* any code address */
    struct vcpu_register_upcall r;
    struct vcpu_runstate_info ri;

    expect_err("vcpu_op cmd=2", vcpu0_op(NR_VCPUOPS, &ri), E(ENOSYS));
    expect_err("vcpu_op cmd=~0", vcpu0_op(0xffffffffu, &ri), E(ENOSYS));
    expect_err2("vcpu_op get_info vcpu=99", hc_vcpu_op(VCPUOP_get_info, 99, &ri), E(ENOENT), E(ENOSYS));
    r = (struct vcpu_register_upcall){ .entry = entry };
    expect_err("register_upcall vcpu=99", hc_vcpu_op(VCPUOP_register_upcall, 99, &r), E(ENOENT));
    each_bad_ptr("vcpu_op register_upcall", VCPUOP_register_upcall, vcpu0_op);
    for (unsigned i = 0; i < NR_BAD_PTRS; i++) {
        char name[80];
        rt_snprintf(name, sizeof(name), "vcpu_op get_info ptr=%s", bad_ptrs[i].name);
        expect_err2(name, vcpu0_op(VCPUOP_get_info, (void *)(uintptr_t)bad_ptrs[i].addr),
                    E(EFAULT), E(ENOSYS));
    }
    upcall_case("register_upcall entry=hypervisor",
                (struct vcpu_register_upcall){ .entry = 0xffff800000000000ull }, E(EINVAL));
    upcall_case("register_upcall entry=noncanonical",
                (struct vcpu_register_upcall){ .entry = 0x0000800000000000ull }, E(EINVAL));
    upcall_case("register_upcall entry=past-end",
                (struct vcpu_register_upcall){ .entry = rt_mem_size() }, E(EINVAL));
    upcall_case("register_upcall entry=start_info",
                (struct vcpu_register_upcall){ .entry = PV_START_INFO_GPA }, E(EINVAL));
    upcall_case("register_upcall reserved=1",
                (struct vcpu_register_upcall){ .entry = entry, .reserved = 1 }, E(EINVAL));
}

/* --------------------------------------------- shutdown, upcall_return, control */

static void check_shutdown(void)
{
    expect_err("domain_shutdown reason=3", hc_domain_shutdown(NR_SHUTDOWN_REASONS), E(EINVAL));
    expect_err("domain_shutdown reason=~0", hc_domain_shutdown(0xffffffffu), E(EINVAL));
}

static void frame_case(const char *name, uint64_t rip)
{
    static struct upcall_frame f __attribute__((aligned(16)));

    memset(&f, 0, sizeof(f));
    f.rsp = (uint64_t)(uintptr_t)&f;
    f.rip = rip;
    f.rflags = RFLAGS_IF;
    expect_err(name, hc_upcall_return(&f), E(EINVAL));
}

static void check_upcall_return(void)
{
    char name[80];

    for (unsigned i = 0; i < NR_BAD_PTRS; i++) {
        rt_snprintf(name, sizeof(name), "upcall_return ptr=%s", bad_ptrs[i].name);
        expect_err(name, hc_upcall_return((struct upcall_frame *)(uintptr_t)bad_ptrs[i].addr),
                   E(EFAULT));
    }
    frame_case("upcall_return rip=noncanonical", 0x0000800000000000ull);
    frame_case("upcall_return rip=hypervisor", 0xffff800000000000ull);
    frame_case("upcall_return rip=~0", ~0ull);
}

static void check_control(void)
{
    bool priv = rt_start_info->flags & SIF_PRIVILEGED;
    int64_t want = priv ? E(ENOSYS) : E(EPERM);
    struct control_op_header h = { .cmd = 0, .version = CONTROL_OP_VERSION };

    expect_err("control_op cmd=0", hc_control_op(0, &h), want);
    expect_err("control_op cmd=~0", hc_control_op(0xffffffffu, &h), want);
    expect_err("control_op ptr=null", hc_control_op(0, NULL), want);
    expect_err("control_op ptr=hypervisor", hc_control_op(0, (void *)0xffff800000000000ull), want);
}

/* ------------------------------------------------------------------ sanity */

/* Known-good calls still answer as the spec says after all that garbage. */
static void check_sanity(void)
{
    struct evtchn_status st;
    int rc;

    rc = evtchn_status(rt_start_info->console_port, &st);
    if (rc || st.state != EVTCHNSTAT_interdomain || st.remote_dom != DOMID_HYPERVISOR)
        sanity_fail("status-console", rc ? rc : (int64_t)st.state);
    rc = evtchn_status(evtchn_timer_port(), &st);
    if (rc || st.state != EVTCHNSTAT_virq || st.remote_port_or_virq != VIRQ_TIMER)
        sanity_fail("status-timer", rc ? rc : (int64_t)st.state);
    rc = evtchn_status(NR_EVTCHN_PORTS - 1, &st);
    if (rc || st.state != EVTCHNSTAT_closed)
        sanity_fail("status-closed", rc ? rc : (int64_t)st.state);
}

/* An upcall must reach a vCPU that spins without ever making a hypercall. */
static void check_upcall_while_running(void)
{
    uint32_t port = evtchn_timer_port();
    uint64_t before = evtchn_count(port);
    uint64_t limit = now_ns() + 5 * NS_PER_SEC;

    hc_set_timer(now_ns() + 10 * NS_PER_MS);
    while (evtchn_count(port) == before && now_ns() < limit)
        ;
    if (evtchn_count(port) == before)
        sanity_fail("upcall-while-running", 0);
    else
        printf("badcall: upcall delivered while running (%lu upcalls)\n", evtchn_upcalls());
}

int guest_main(void)
{
    printf("badcall: dom%u start\n", rt_domid());
    init_bad_ptrs();
    check_numbers();
    check_preserve();
    check_console_write();
    check_sched();
    check_evtchn();
    check_grant();
    check_vcpu();
    check_shutdown();
    check_upcall_return();
    check_control();
    check_sanity();
    check_upcall_while_running();
    printf("BADCALL DONE ok=%u mismatch=%u unexpected=%u\n", n_ok, n_mismatch, n_unexpected);
    return 0;
}
