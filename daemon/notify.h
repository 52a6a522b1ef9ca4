/* notify.h -- tell systemd how the node is doing (sd_notify protocol).
 *
 * A no-op unless systemd set NOTIFY_SOCKET.  The supervisor says READY=1
 * once the workers are forked, STOPPING=1 on an orderly stop, and
 * WATCHDOG=1 on each turn of its loop (so a wedged supervisor is
 * restarted; stuck workers are not detected this way yet).
 */
#ifndef ACTORD_DAEMON_NOTIFY_H
#define ACTORD_DAEMON_NOTIFY_H

void notify(const char *state);

#endif
