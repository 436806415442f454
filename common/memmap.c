/*
 * Memory map sanitizer. Works on boundaries: every start and end point of
 * every input range cuts the address space into intervals, and each
 * interval takes the strongest type of the ranges covering it. Quadratic in
 * the number of entries, which is bounded by BOOT_MEM_MAX.
 */
#include <baton/lib.h>
#include <baton/memmap.h>
#include <baton/printk.h>

/* Higher wins where ranges overlap; unknown types count as reserved. */
static int type_rank(uint32_t type)
{
    switch (type) {
    case MEM_RAM: return 1;
    case MEM_ACPI: return 2;
    case MEM_NVS: return 3;
    case MEM_UNUSABLE: return 4;
    default: return 5;
    }
}

const char *memmap_type_name(uint32_t type)
{
    switch (type) {
    case MEM_RAM: return "RAM";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI: return "ACPI data";
    case MEM_NVS: return "ACPI NVS";
    case MEM_UNUSABLE: return "unusable";
    default: return "unknown";
    }
}

/* End of a range, clipped at the top of the address space (exclusive end 2^64 - 1). */
static uint64_t range_end(const struct mem_range *r)
{
    return r->start + r->size < r->start ? UINT64_MAX : r->start + r->size;
}

static void sort_u64(uint64_t *v, unsigned int n)
{
    for (unsigned int i = 1; i < n; i++) {
        uint64_t x = v[i];
        unsigned int j = i;
        while (j && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Strongest type covering [a, b), 0 when nothing covers it. */
static uint32_t type_at(const struct mem_range *in, unsigned int n, uint64_t a, uint64_t b)
{
    uint32_t best = 0;

    for (unsigned int i = 0; i < n; i++) {
        if (in[i].size == 0 || in[i].start > a || range_end(&in[i]) < b)
            continue;
        if (!best || type_rank(in[i].type) > type_rank(best))
            best = in[i].type;
    }
    return best;
}

static unsigned int append(struct mem_range *out, unsigned int count, unsigned int out_max,
                           uint64_t start, uint64_t end, uint32_t type)
{
    if (count && out[count - 1].type == type &&
        out[count - 1].start + out[count - 1].size == start) {
        out[count - 1].size += end - start;
        return count;
    }
    if (count == out_max) {
        pr_warn("memmap: more than %u ranges after sanitizing, dropping 0x%llx-0x%llx\n",
                out_max, (unsigned long long)start, (unsigned long long)end);
        return count;
    }
    out[count] = (struct mem_range){ .start = start, .size = end - start, .type = type };
    return count + 1;
}

unsigned int memmap_sanitize(const struct mem_range *in, unsigned int n,
                             struct mem_range *out, unsigned int out_max)
{
    uint64_t points[2 * BOOT_MEM_MAX];
    unsigned int np = 0, count = 0;

    if (n > BOOT_MEM_MAX) {
        pr_warn("memmap: %u ranges, only the first %d are used\n", n, BOOT_MEM_MAX);
        n = BOOT_MEM_MAX;
    }
    for (unsigned int i = 0; i < n; i++) {
        if (in[i].size == 0)
            continue;
        if (range_end(&in[i]) == UINT64_MAX)
            pr_warn("memmap: range at 0x%llx wraps past 2^64, clipped\n",
                    (unsigned long long)in[i].start);
        points[np++] = in[i].start;
        points[np++] = range_end(&in[i]);
    }
    sort_u64(points, np);
    for (unsigned int i = 0; i + 1 < np; i++) {
        uint32_t type;
        if (points[i] == points[i + 1])
            continue;
        type = type_at(in, n, points[i], points[i + 1]);
        if (type)
            count = append(out, count, out_max, points[i], points[i + 1], type);
    }
    return count;
}
