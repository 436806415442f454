/*
 * Domain context framework (common/domctx.c): subsystems register a save
 * and a load handler per entry type; domctx_save() serialises a domain into
 * a blob of entries (public/domctx.h) and domctx_load() restores one.
 *
 * The framework never looks inside struct domain: it passes the caller's
 * pointer to the handlers, so the same code runs in the hypervisor and in
 * host tests. It allocates nothing; output goes through a write callback.
 */
#ifndef BATON_DOMCTX_H
#define BATON_DOMCTX_H

#include <baton/types.h>
#include <public/domctx.h>

struct domain;
struct domctx_save_ctx;

/* One entry as a load handler (or a walker) sees it, inside a validated blob. */
struct domctx_entry {
    uint16_t typecode;
    uint16_t flags;
    uint32_t vcpu_id;
    uint32_t length;     /* body octets as written */
    uint32_t offset;     /* of the descriptor in the blob */
    const void *body;
    bool allow_longer;   /* the blob was validated with DOMCTX_ALLOW_LONGER */
};

/* Emit this vCPU's (or the domain's) entries with domctx_save_entry(). */
typedef int (*domctx_save_fn)(struct domain *d, unsigned int vcpu,
                              struct domctx_save_ctx *c);
/* Take one entry; read its body with domctx_entry_read(). */
typedef int (*domctx_load_fn)(struct domain *d, unsigned int vcpu,
                              const struct domctx_entry *e);
/* Append len octets to the output; 0 or a negative error. */
typedef int (*domctx_write_fn)(void *priv, const void *buf, size_t len);
/* Called per entry (HEADER and END excluded) by domctx_walk(). */
typedef int (*domctx_entry_fn)(void *priv, const struct domctx_entry *e);

/* Registration flags. */
#define DOMCTX_PER_VCPU 0x1u  /* save runs once per vCPU; entries carry its id */
#define DOMCTX_MULTI    0x2u  /* one save call may emit several entries */

#define DOMCTX_HANDLERS_MAX 32
#define DOMCTX_ENTRY_MAX    (1u << 20) /* largest structure a type may register */

/* Validation / load flags. */
#define DOMCTX_ALLOW_LONGER 0x1u /* accept entries longer than ours; ignore the tail */
#define DOMCTX_FRAMING_ONLY 0x2u /* check framing only: no handler lookups (tools) */
/* domctx_load only: the caller validated this very blob (domctx_validate,
 * same flags and vCPU count, handlers included) and nothing can have
 * written it since, so it is not validated again. The live update's
 * restore: the stream's frames are the hypervisor's, every domain paused. */
#define DOMCTX_VALIDATED    0x4u

/*
 * One type's handlers. size is this build's structure for the type: entries
 * up to size are written, shorter ones are zero-extended on load. Either
 * handler may be NULL (save-only or load-only types).
 */
struct domctx_handler_desc {
    uint16_t typecode;     /* DOMCTX_TYPE_* */
    unsigned int flags;    /* DOMCTX_PER_VCPU, DOMCTX_MULTI */
    size_t size;
    const char *name;
    domctx_save_fn save;
    domctx_load_fn load;
};
/* The linker packs descriptors back to back: the stride must be the size. */
_Static_assert(sizeof(struct domctx_handler_desc) % 8 == 0, "descriptor stride");

/*
 * DOMCTX_HANDLER(ident, TYPECODE, "NAME", flags, size, save_fn, load_fn):
 * declare a type's handlers in the subsystem's own file. The descriptor goes
 * into the section domctx_handlers, which the linker gathers into one table
 * (arch/x86/baton.lds keeps it, between __start_domctx_handlers and
 * __stop_domctx_handlers; a host link gets the same symbols because the name
 * is a C identifier). domctx_init() registers every linked descriptor. ident
 * names the (static) descriptor, domctx_handler_<ident>. The section name
 * being a C identifier also keeps ASan from padding the table's entries.
 */
#define DOMCTX_HANDLER(ident, typecode_, name_, flags_, size_, save_fn, load_fn) \
    static const struct domctx_handler_desc domctx_handler_##ident             \
    __attribute__((section("domctx_handlers"), used, aligned(8))) = {         \
        .typecode = (typecode_), .flags = (flags_), .size = (size_),           \
        .name = (name_), .save = (save_fn), .load = (load_fn),                 \
    }

/*
 * Register every DOMCTX_HANDLER() the program links (none is fine), in
 * the sorted registry. 0, or the first refusal (-BATON_EEXIST for a type
 * registered twice), logged with the handler's name. Call once, at boot.
 */
int domctx_init(void);

/*
 * By hand (host tests), as struct domctx_handler_desc. Types are kept
 * sorted so that a save emits them in the order a loader checks.
 */
int domctx_register(uint16_t typecode, const char *name, unsigned int flags,
                    size_t size, domctx_save_fn save, domctx_load_fn load);
/* Forget every handler (host tests). */
void domctx_unregister_all(void);
/* Registered or public name of a type, NULL when unknown. */
const char *domctx_type_name(uint16_t typecode);

/* Serialise d (nr_vcpus vCPUs). write == NULL is a dry run. *len gets the
 * exact number of octets written (or that would be). */
int domctx_save(struct domain *d, unsigned int nr_vcpus, domctx_write_fn write,
                void *priv, size_t *len);
/* The dry run: exact size of what domctx_save() would write. */
int domctx_size(struct domain *d, unsigned int nr_vcpus, size_t *len);
/* From a save handler: emit one entry of the type being saved. */
int domctx_save_entry(struct domctx_save_ctx *c, const void *data, size_t len);
bool domctx_save_is_dry_run(const struct domctx_save_ctx *c);

/*
 * Check a whole blob (framing, order, lengths, padding, vCPU ids, and, unless
 * DOMCTX_FRAMING_ONLY, every type against the registered handlers) and call
 * fn (if not NULL) for each entry. Errors go to printk and, when err is not
 * NULL, into err[errsz].
 */
int domctx_walk(const void *blob, size_t len, unsigned int nr_vcpus,
                unsigned int flags, domctx_entry_fn fn, void *priv,
                char *err, size_t errsz);
int domctx_validate(const void *blob, size_t len, unsigned int nr_vcpus,
                    unsigned int flags, char *err, size_t errsz);
/* Validate the whole blob, then hand each entry not marked IGNORE to its
 * load handler. A handler failure leaves d partly loaded: destroy it. */
int domctx_load(struct domain *d, unsigned int nr_vcpus, const void *blob,
                size_t len, unsigned int flags, char *err, size_t errsz);
/* Copy an entry body into dst[size], zero-extending a shorter body. */
int domctx_entry_read(const struct domctx_entry *e, void *dst, size_t size);
/* Mark every entry of a type IGNORE in a blob; the count marked or an error. */
int domctx_set_ignore(void *blob, size_t len, uint16_t typecode);

#endif
