#!/bin/sh
# Turns the engine's Lua files (engine/lua/*.lua, in the order given: the load order) into C
# string constants, and two NULL-terminated tables for luahost.c: kf_lua_chunk_name[] (the
# chunk names, "=engine/lua/FILE.lua", so errors name the file) and kf_lua_chunk_src[].
set -eu
for f in "$@"; do
  name=$(basename "$f" .lua)
  echo "static const char src_${name}[] ="
  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/  "/' -e 's/$/\\n"/' "$f"
  echo "  ;"
done
echo "const char *const kf_lua_chunk_name[] = {"
for f in "$@"; do echo "  \"=$f\","; done
echo "  0};"
echo "const char *const kf_lua_chunk_src[] = {"
for f in "$@"; do echo "  src_$(basename "$f" .lua),"; done
echo "  0};"
