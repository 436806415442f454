# Live update record stream: writer (old build) and reader (new build).
# The same sources build into host tools, unit tests and fuzz targets.
hv-$(CONFIG_LIVE_UPDATE) += common/lu/elfnote.o common/lu/stream_write.o common/lu/stream_read.o \
	common/lu/stream_check.o
