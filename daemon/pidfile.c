/* pidfile.c -- see pidfile.h. */
#include "daemon/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int pidfile_lock(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open pid file (%s)", path,
		         strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = {0};
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		if (n > 0 && buf[n - 1] == '\n')
			buf[n - 1] = '\0';
		snprintf(err, errlen, "%s: a node is already running (pid %s)", path,
		         n > 0 ? buf : "?");
		close(fd);
		return -1;
	}
	return fd;
}

int pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}
