# SPDX-License-Identifier: Apache-2.0
# Writes lib/crypt-hashes.h from lib/hashes.conf with every hash enabled, for
# the overhead benchmark's build of libxcrypt (the package has no build-aux/).
# hashes.conf lines: NAME PREFIX NRBYTES FLAGS; a prefix of ':' means empty.
/^#/ || NF < 4 { next }
{
  n++
  name[n] = $1
  prefix[n] = ($2 == ":") ? "" : $2
  nrbytes[n] = $3
  strong[n] = ($4 ~ /(^|,)STRONG(,|$)/) ? 1 : 0
  if (default_prefix == "" && !have_default && $4 ~ /(^|,)DEFAULT(,|$)/) {
    default_prefix = prefix[n]
    have_default = 1
  }
}
END {
  print "/* Generated from hashes.conf by gen-crypt-hashes.awk.  DO NOT EDIT.  */"
  print "#ifndef _CRYPT_HASHES_H"
  print "#define _CRYPT_HASHES_H 1"
  print ""
  for (i = 1; i <= n; i++)
    printf "#define INCLUDE_%s 1\n", name[i]
  print ""
  for (i = 1; i <= n; i++) {
    printf "extern void crypt_%s_rn (const char *, size_t, const char *,\n", name[i]
    print  "                size_t, uint8_t *, size_t, void *, size_t);"
    printf "extern void gensalt_%s_rn (unsigned long,\n", name[i]
    print  "                const uint8_t *, size_t, uint8_t *, size_t);"
  }
  print ""
  # The hash with the empty prefix must come last: longest prefixes first.
  print "#define HASH_ALGORITHM_TABLE_ENTRIES \\"
  for (len = 16; len >= 0; len--)
    for (i = 1; i <= n; i++)
      if (length(prefix[i]) == len)
        printf "  { \"%s\", %d, crypt_%s_rn, gensalt_%s_rn, %d, %d }, \\\n",
               prefix[i], len, name[i], name[i], nrbytes[i], strong[i]
  print "  { 0, 0, 0, 0, 0, 0 }"
  if (have_default)
    printf "\n#define HASH_ALGORITHM_DEFAULT \"%s\"\n", default_prefix
  print ""
  print "#endif /* crypt-hashes.h */"
}
