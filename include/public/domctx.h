/*
 * Domain context: the per-domain hypervisor state (vCPU registers, event
 * channels, grants, timers, console, ...) as a blob of typed entries. It is
 * the body of the LU_REC_DOMAIN_CONTEXT live update record and is meant to
 * serve domain save/restore as well. Specified in
 * docs/specs/live-update-handover.md ("Domain context").
 *
 * Blob layout, little-endian, every entry 8-aligned:
 *   desc(HEADER) struct domctx_header
 *   desc(type, vcpu) body, zero padding to 8 octets   (any number)
 *   desc(END)                                          (no body)
 * Entries come sorted by (typecode, vcpu_id). An entry shorter than the
 * reader's structure is zero-extended; a longer one is refused unless the
 * stream's version rules say a newer writer appended fields.
 */
#ifndef PUBLIC_DOMCTX_H
#define PUBLIC_DOMCTX_H

#include <stdint.h>

struct domctx_desc {
    uint16_t typecode; /* DOMCTX_TYPE_* */
    uint16_t flags;    /* DOMCTX_FLAG_* */
    uint32_t vcpu_id;  /* 0 for per-domain entries */
    uint32_t length;   /* octets of body, padding excluded */
    uint32_t reserved; /* zero */
};
_Static_assert(sizeof(struct domctx_desc) == 16, "domctx_desc is 16 octets");

/* The loader skips the entry, whatever its type (a tool may neutralise
 * entries of a saved image this way). Never valid on HEADER or END. */
#define DOMCTX_FLAG_IGNORE 0x0001u
#define DOMCTX_FLAGS_KNOWN DOMCTX_FLAG_IGNORE

#define DOMCTX_ALIGN 8

#define DOMCTX_MAGIC   0x58544344u /* "DCTX" */
#define DOMCTX_VERSION 1

struct domctx_header {
    uint32_t magic;   /* DOMCTX_MAGIC */
    uint32_t version; /* DOMCTX_VERSION: the entry framing, not the entries */
};
_Static_assert(sizeof(struct domctx_header) == 8, "domctx_header is 8 octets");

/* Type codes. */
#define DOMCTX_TYPE_END         0x0000 /* last entry, empty */
#define DOMCTX_TYPE_HEADER      0x0001 /* first entry */
/* Reserved for the issues that register them: */
#define DOMCTX_TYPE_VCPU        0x0002 /* per-vCPU registers */
#define DOMCTX_TYPE_EVTCHN      0x0003 /* event channels */
#define DOMCTX_TYPE_GRANT       0x0004 /* grant table */
#define DOMCTX_TYPE_TIMER       0x0005 /* per-vCPU timers */
#define DOMCTX_TYPE_CONSOLE     0x0006 /* console ring state */
#define DOMCTX_TYPE_SHARED_INFO 0x0007 /* shared info page */
/* 0x0008 - 0xfeff: future types. */
/* 0xff00 - 0xffff: test builds only; never in a production stream. */
#define DOMCTX_TYPE_TEST_FIRST  0xff00
#define DOMCTX_TYPE_TEST_LAST   0xffff

#endif
