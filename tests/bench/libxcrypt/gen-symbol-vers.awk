# SPDX-License-Identifier: Apache-2.0
# Writes lib/crypt-symbol-vers.h from lib/libcrypt.map.in for a static build
# without symbol versions, for the overhead benchmark's build of libxcrypt.
# A symbol whose first version column is '-' is compatibility-only: left out.
/^#/ || /^%/ || NF < 2 { next }
{ sym[++n] = $1; included[n] = ($2 == "-") ? 0 : 1 }
END {
  print "/* Generated from libcrypt.map.in by gen-symbol-vers.awk.  DO NOT EDIT.  */"
  print "#ifndef _CRYPT_SYMBOL_VERS_H"
  print "#define _CRYPT_SYMBOL_VERS_H 1"
  print ""
  for (i = 1; i <= n; i++)
    printf "#define INCLUDE_%s %d\n", sym[i], included[i]
  print ""
  for (i = 1; i <= n; i++)
    printf "#define SYMVER_%s symver_nop()\n", sym[i]
  print ""
  print "#endif /* crypt-symbol-vers.h */"
}
