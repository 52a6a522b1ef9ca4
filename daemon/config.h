/* config.h -- the node's config file (skynet's syntax).
 *
 * A config is a Lua chunk of `key = value` lines.  `include "file"` reads
 * another file relative to the including one; `$NAME` in the text is
 * replaced by the process environment's NAME before the chunk is parsed.
 * Every key ends up as a string (numbers and booleans converted), which is
 * what services read with getenv.  Errors read `file:line: reason`.
 */
#ifndef ACTORD_DAEMON_CONFIG_H
#define ACTORD_DAEMON_CONFIG_H

#include <stddef.h>

struct config;

/* NULL on error, with the message in err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *c);

/* The value of key as a string, or NULL if unset. */
const char *config_get(const struct config *c, const char *key);
/* Where key was set, for error messages: "file:line", or NULL if unset. */
const char *config_where(const struct config *c, const char *key);
/* The keys of a clustered node (harbor != 0) fit together: 'address' and
 * 'master' set, host:port forms, a cluster key or cluster_insecure = true.
 * 0, or -1 with "file:line: reason" in err. */
int config_check_cluster(const struct config *c, const char *path, char *err,
                         size_t errlen);
/* Set a key that the file did not (defaults); no-op if already set. */
void config_default(struct config *c, const char *key, const char *value);
/* Every key, in the order first set. */
void config_each(const struct config *c,
                 void (*fn)(const char *key, const char *value, void *ud),
                 void *ud);

#endif
