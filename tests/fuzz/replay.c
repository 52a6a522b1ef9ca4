/* replay.c -- run a fuzz target over files, without libFuzzer.
 *
 * `replay FILE|DIR...` feeds each file to LLVMFuzzerTestOneInput once.  The
 * test suite runs it over each target's corpus (under ASan in the
 * sanitizer build), so every target keeps building and its corpus keeps
 * passing with gcc alone; with clang, meson also builds real fuzzers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0, errors = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
				errors += run_file(p);
				files++;
			}
			if (d)
				closedir(d);
		} else {
			errors += run_file(argv[i]);
			files++;
		}
	}
	printf("replayed %d inputs, %d unreadable\n", files, errors);
	return errors || files == 0;
}
