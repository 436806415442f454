# Host unit tests of kexec loads (common/kimage.c): every validation rule,
# staging outside the destinations, the indirection list and write64.
unit-tests += test_kimage
test_kimage-srcs := tests/unit/test_kimage.c common/kimage.c tests/unit/harness.c
