/* lua_target.h -- fuzz parsers written in Lua (the HTTP request parser,
 * the DNS reply parser) from a C fuzz target.
 *
 * lua_target_run(module, func, data, size) requires `module` from
 * ACTORD_LUA_DIR "/lualib" (or from package.preload) and calls
 * module[func](bytes) in protected mode, bytes being the input as a Lua
 * string.  The convention for the called function:
 *
 *   - it returns normally, or raises a string: the input was accepted or
 *     refused as bad, both fine;
 *   - it raises any other value (a table, say), or a string that is one of
 *     the Lua VM's own runtime errors ("attempt to index a nil value"...):
 *     an invariant is broken, a bug.  The harness prints the error with a
 *     traceback and abort()s, which libFuzzer reports as a crash;
 *   - running out of the memory bound (LUA_TARGET_MEM_MB, 256) or of the
 *     instruction budget (about 2^30 VM instructions per input) aborts too:
 *     a parser with limits has no business needing that much.
 *
 * One lua_State lives across runs (requiring a module each run would cost
 * more than parsing), with a full collection after each run.  The lines the
 * Lua code runs are fed to libFuzzer as extra coverage counters, so it can
 * steer by the parser's branches.  Returns 0 (libFuzzer's "keep going").
 */
#ifndef ACTORD_LUA_TARGET_H
#define ACTORD_LUA_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

int lua_target_run(const char *module, const char *func, const uint8_t *data, size_t size);

/* Make `require(name)` run `source` (a Lua chunk returning the module):
 * a target keeps its Lua driver next to its C code this way.  Call before
 * the first lua_target_run that needs it; again is a no-op. */
void lua_target_preload(const char *name, const char *source);

/* The same for a module written in C: `require(name)` calls open. */
void lua_target_preload_c(const char *name, lua_CFunction open);

#endif
