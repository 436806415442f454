/* Version string and the linker's build id note. */
#include <baton/config.h>
#include <baton/lib.h>
#include <baton/version.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define NT_GNU_BUILD_ID 3

extern const char __note_start[], __note_end[];

const char *baton_version(void)
{
    return STR(BATON_VERSION_MAJOR) "." STR(BATON_VERSION_MINOR) BATON_VERSION_EXTRA;
}

const char *baton_build_id(void)
{
    static char hex[2 * 32 + 1];
    const char *p = __note_start;

    if (hex[0])
        return hex;
    while (p + 12 <= __note_end) {
        uint32_t namesz, descsz, type;
        memcpy(&namesz, p, 4);
        memcpy(&descsz, p + 4, 4);
        memcpy(&type, p + 8, 4);
        const char *name = p + 12, *desc = name + ALIGN_UP(namesz, 4);
        if (desc + descsz > __note_end)
            break;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(name, "GNU", 4)) {
            for (uint32_t i = 0; i < descsz && i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", (unsigned char)desc[i]);
            return hex;
        }
        p = desc + ALIGN_UP(descsz, 4);
    }
    return "unknown";
}
