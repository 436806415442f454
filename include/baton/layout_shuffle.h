/*
 * The test option CONFIG_LAYOUT_SHUFFLE (Kconfig, "Test: pad and reorder
 * internal structures"): a build with it lays out its internal structures
 * (struct domain, vcpu, evtchn, grant_entry, grant_mapping, guest_console,
 * page_info, ...) and fills its domain table differently from a normal
 * build. configs/build-b.config turns it on, so that every live update
 * test between the two builds proves that nothing internal crosses the
 * update in place: only the handover stream's records do.
 *
 * In a structure definition:
 *
 *     struct foo {
 *         LAYOUT_PAD(shuffle_pad, 8)
 *         LAYOUT_GROUPS((
 *             uint32_t a;
 *             uint32_t b;
 *         ), (
 *             uint64_t c;
 *         ))
 *     };
 *
 * LAYOUT_GROUPS lays its parenthesised groups of fields out in the order
 * written in a normal build and in reverse order in a shuffled one (2 to 6
 * groups; fields keep their order inside a group). LAYOUT_PAD(name, n) is
 * n octets of padding named name in a shuffled build and nothing in a
 * normal one: a normal build's layout is exactly the one written.
 *
 * Where code must differ, it tests the constant LAYOUT_SHUFFLED (0 or 1),
 * never #ifdef inside a function.
 */
#ifndef BATON_LAYOUT_SHUFFLE_H
#define BATON_LAYOUT_SHUFFLE_H

#include <baton/types.h>

#define LAYOUT_FIELDS_(...)    __VA_ARGS__
#define LAYOUT_CAT_(a, b)      a##b
#define LAYOUT_CAT(a, b)       LAYOUT_CAT_(a, b)
#define LAYOUT_NGROUPS_(...)   LAYOUT_NGROUPS__(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define LAYOUT_NGROUPS__(g1, g2, g3, g4, g5, g6, n, ...) n

#define LAYOUT_FWD_2(a, b)     LAYOUT_FIELDS_ a LAYOUT_FIELDS_ b
#define LAYOUT_FWD_3(a, ...)   LAYOUT_FIELDS_ a LAYOUT_FWD_2(__VA_ARGS__)
#define LAYOUT_FWD_4(a, ...)   LAYOUT_FIELDS_ a LAYOUT_FWD_3(__VA_ARGS__)
#define LAYOUT_FWD_5(a, ...)   LAYOUT_FIELDS_ a LAYOUT_FWD_4(__VA_ARGS__)
#define LAYOUT_FWD_6(a, ...)   LAYOUT_FIELDS_ a LAYOUT_FWD_5(__VA_ARGS__)

#define LAYOUT_REV_2(a, b)     LAYOUT_FIELDS_ b LAYOUT_FIELDS_ a
#define LAYOUT_REV_3(a, ...)   LAYOUT_REV_2(__VA_ARGS__) LAYOUT_FIELDS_ a
#define LAYOUT_REV_4(a, ...)   LAYOUT_REV_3(__VA_ARGS__) LAYOUT_FIELDS_ a
#define LAYOUT_REV_5(a, ...)   LAYOUT_REV_4(__VA_ARGS__) LAYOUT_FIELDS_ a
#define LAYOUT_REV_6(a, ...)   LAYOUT_REV_5(__VA_ARGS__) LAYOUT_FIELDS_ a

#ifdef CONFIG_LAYOUT_SHUFFLE
#define LAYOUT_SHUFFLED        1
#define LAYOUT_PAD(name, n)    uint8_t name[n];
#define LAYOUT_GROUPS(...)     LAYOUT_CAT(LAYOUT_REV_, LAYOUT_NGROUPS_(__VA_ARGS__))(__VA_ARGS__)
#else
#define LAYOUT_SHUFFLED        0
#define LAYOUT_PAD(name, n)
#define LAYOUT_GROUPS(...)     LAYOUT_CAT(LAYOUT_FWD_, LAYOUT_NGROUPS_(__VA_ARGS__))(__VA_ARGS__)
#endif

/* Normal or shuffled: for a size assertion that holds in both builds. */
#define LAYOUT_CHOOSE(normal, shuffled) (LAYOUT_SHUFFLED ? (shuffled) : (normal))

#endif
