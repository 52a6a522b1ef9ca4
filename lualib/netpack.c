/* netpack.c -- placeholder until the gate's length protocol lands. */
#include <lauxlib.h>

#include "lualib/lualib.h"

int lualib_open_netpack(lua_State *L)
{
	lua_newtable(L);
	return 1;
}
