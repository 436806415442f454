# Domain context framework (typed per-domain / per-vCPU state entries).
hv-y += common/domctx.o
