# hvctl: the control tool (docs/user-guide.md, "hvctl"), over the control
# protocol's client library. Recursive (=): the tools/lib lists come from
# tools/lib/lib.mk.
host-tools += hvctl
hvctl-srcs = tools/hvctl/hvctl.c tools/hvctl/kexec.c tools/hvctl/kexec_load.c $(ctl-client-srcs)
hvctl-cflags := -Itools/lib -Itools/hvctl
