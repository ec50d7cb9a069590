#!/bin/sh
# Turns engine/*.lua into C string constants kf_lua_<name>_src, for luahost.c.
set -eu
for f in "$@"; do
  name=$(basename "$f" .lua)
  echo "const char kf_lua_${name}_src[] ="
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/  "/' -e 's/$/\\n"/' "$f"
  echo "  ;"
done
