/* fuzz_config.c -- fuzz target for the config parser (daemon/config.c).
 *
 * The input is written to a file and loaded as a config; an include in it
 * may name the same file (which tests the nesting limit).  Whatever the
 * bytes, config_load must return a config or a "file:line"-style message,
 * within its memory and step budgets, without crashing or leaking.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-config-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	char err[1024];
	err[0] = '\0';
	struct config *c = config_load(path, err, sizeof err);
	if (c)
		config_free(c);
	else if (err[0] == '\0')
		abort(); /* a failure must always say why */
	unlink(path);
	return 0;
}
