/*
 * dom0: domain 0's placeholder until the control-plane agent exists.
 * Prints "dom0: up", checks that it is privileged and that control_op
 * answers -ENOSYS (no command defined yet), then prints
 * "dom0: alive <n> t=<ms>ms" every period ms (default 5000).
 */
#include "rt.h"

static void check_privilege(void)
{
    struct control_op_header hdr = { .cmd = 0, .version = CONTROL_OP_VERSION };
    int64_t rc;

    if (!(rt_start_info->flags & SIF_PRIVILEGED))
        printf("DOM0 FAIL start info lacks SIF_PRIVILEGED (flags=%#x)\n",
               rt_start_info->flags);
    rc = hc_control_op(hdr.cmd, &hdr);
    printf("dom0: control_op rc=%ld\n", rc);
    if (rc != -BATON_ENOSYS)
        printf("DOM0 FAIL control_op rc=%ld, want %d\n", rc, -BATON_ENOSYS);
}

int guest_main(void)
{
    uint64_t period = rt_param_u64("period", 5000) * NS_PER_MS;
    uint64_t deadline = now_ns();

    printf("dom0: up (domid %u, %lu MiB, cmdline \"%s\")\n",
           rt_domid(), rt_mem_size() >> 20, rt_cmdline());
    check_privilege();
    for (uint64_t n = 0;; n++) {
        deadline += period ? period : NS_PER_SEC;
        sleep_until(deadline);
        printf("dom0: alive %lu t=%lums\n", n, now_ms());
    }
}
