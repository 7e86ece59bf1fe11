/* SPDX-License-Identifier: Apache-2.0 */
/* config.h for building Debian's libxcrypt-source tree without its configure
   script (the package ships no build-aux/), on Linux with glibc and GCC or
   Clang. Used only by the overhead benchmark (scripts/bench/overhead). */
#ifndef _CRYPT_CONFIG_H
#define _CRYPT_CONFIG_H 1

#define ENDIANNESS_IS_LITTLE 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_SYS_CDEFS_H 1
#define HAVE_SYS_CDEFS_THROW 1
#define HAVE_ENDIAN_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_SYSCALL_H 1
#define HAVE_SYS_RANDOM_H 1
#define HAVE_FCNTL_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SYSCALL 1
#define HAVE_GETRANDOM 1
#define HAVE_GETENTROPY 1
#define HAVE_EXPLICIT_BZERO 1
#define HAVE_MAX_ALIGN_T 1
#define HAVE_STATIC_ASSERT_IN_ASSERT_H 1
#define HAVE_FUNC_ATTRIBUTE_SYMVER 1
#define ENABLE_OBSOLETE_API 1
#define ENABLE_OBSOLETE_API_ENOSYS 0
#define ENABLE_FAILURE_TOKENS 1

/* crypt.c uses C11 alignas/alignof; configure's compiler checks arrange this. */
#include <stdalign.h>

#endif /* config.h */
