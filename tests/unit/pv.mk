# Host unit tests of the PV services (event channels, grant table, guest
# console): the real sources against the fakes in pv_fake.c.
unit-tests += test_evtchn
test_evtchn-srcs := tests/unit/test_evtchn.c common/event_channel.c common/guest_console.c \
	tests/unit/pv_fake.c tests/unit/harness.c common/domctx.c

unit-tests += test_gnttab
test_gnttab-srcs := tests/unit/test_gnttab.c common/grant_table.c \
	tests/unit/pv_fake.c tests/unit/harness.c common/domctx.c

unit-tests += test_guest_console
test_guest_console-srcs := tests/unit/test_guest_console.c common/guest_console.c \
	tests/unit/pv_fake.c tests/unit/harness.c common/domctx.c
