/* The physical memory map, made sane. */
#ifndef BATON_MEMMAP_H
#define BATON_MEMMAP_H

#include <baton/bootinfo.h>

/*
 * Turn a loader's memory map (unsorted, overlapping, zero-sized entries,
 * ranges that wrap past 2^64) into a sorted list of disjoint ranges. Where
 * ranges overlap the most restrictive type wins: anything not RAM beats
 * RAM. Adjacent ranges of one type are merged. Returns the number of
 * entries written to out (at most out_max; the rest is reported and dropped).
 */
unsigned int memmap_sanitize(const struct mem_range *in, unsigned int n,
                             struct mem_range *out, unsigned int out_max);

const char *memmap_type_name(uint32_t type);

#endif
