# The KVM lane (docs/kvm.md): tests/qemu/kvm_lane.py on QEMU -M microvm with
# -accel kvm -cpu host,-arch-capabilities. make check runs it too (run-check
# --kvm-lane); where /dev/kvm does not open it says it was skipped and why.
.PHONY: check-kvm
check-kvm: all build-b tools
	@$(PYTHON) tests/run-check.py --build $(O) --kvm-lane
