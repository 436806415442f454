# baton_layout_id: the internal layout, read by test_two_builds (boot.py)
hv-y += common/layout_shuffle.o

# A build made from a config fragment (build-b: configs/build-b.config)
# remakes its .config when the fragment changes, so that an option the
# fragment turns on (LAYOUT_SHUFFLE) reaches an existing build directory.
ifneq ($(BUILD_DEFCONFIG),)
$(KCONFIG_CONFIG): $(BUILD_DEFCONFIG)
endif
