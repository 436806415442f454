# Host code shared by tools, unit tests and fuzz targets (see DESIGN.md):
#   host_shim.c   printk, panic and die for programs built from hypervisor
#                 sources (unit tests get it through tests/unit/harness.c)
#   lu_host.c     the host backend of the live update stream library: memory
#                 segments with reader callbacks, a page pool for the writer
#   domctx_host.c what the real context handlers ($(domctx-handler-srcs),
#                 common/domctx.mk) reference beyond themselves once linked
#                 with --gc-sections (`current`); with common/guest_access.c
# Consumers use these with recursive (=) variables: this file is read after
# tests/.
host-shim-srcs := tools/lib/host_shim.c
lu-host-srcs := tools/lib/lu_host.c
domctx-host-srcs := tools/lib/domctx_host.c common/guest_access.c
#   ctl_frame.c   the control protocol's framing and CRC32 (include/public/
#                 ctl.h): the one implementation, also compiled into domain
#                 0's agent with the guest flags (guests/guests.mk)
#   ctl_client.c  the control protocol's client: connect, request/reply,
#                 retries, chunked uploads (hvctl, tests)
ctl-frame-srcs := tools/lib/ctl_frame.c
ctl-client-srcs := tools/lib/ctl_client.c tools/lib/ctl_frame.c
