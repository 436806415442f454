# Host unit tests of the control protocol: the framing and CRC32 that the
# agent and the tools share (tools/lib/ctl_frame.c), and the agent's
# transport and handlers (guests/dom0/agent.c, ops.c) driven by the real
# client library (tools/lib/ctl_client.c) over a socketpair, hypercalls faked.
# Recursive (=): the tools/lib lists come from tools/lib/lib.mk.
unit-tests += test_ctl_frame
test_ctl_frame-srcs = tests/unit/test_ctl_frame.c $(ctl-frame-srcs)
test_ctl_frame-cflags := -Itools/lib
