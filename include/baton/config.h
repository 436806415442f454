/* Defaults for options that Kconfig leaves undefined when their parent is off. */
#ifndef BATON_CONFIG_H
#define BATON_CONFIG_H

#ifndef CONFIG_LU_BOOTMEM_DEFAULT_MB
#define CONFIG_LU_BOOTMEM_DEFAULT_MB 0
#endif

#define BATON_VERSION_MAJOR 0
#define BATON_VERSION_MINOR 1
#define BATON_VERSION_EXTRA CONFIG_VERSION_SUFFIX

#endif
