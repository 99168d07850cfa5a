/* main() of a fuzz target built without libFuzzer: runs the target once on every file named on
   the command line (or in a directory named there). A crash or sanitizer report fails the run;
   test t110 replays the committed crash inputs this way. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int RunFile(const char path[])
{
  FILE    *f = fopen(path, "rb");
  uint8_t *buf;
  long     n;

  if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    if (f) fclose(f);
    return 1;
  }
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    fclose(f);
    free(buf);
    return 1;
  }
  fclose(f);
  printf("replay: %s (%ld bytes)\n", path, n);
  fflush(stdout);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

int main(int argc, char **argv)
{
  int bad = 0, runs = 0;

  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st)) {
      fprintf(stderr, "replay: no such file %s\n", argv[i]);
      bad = 1;
    } else if (S_ISDIR(st.st_mode)) {
      struct dirent **list;
      int             n = scandir(argv[i], &list, NULL, alphasort);
      for (int j = 0; j < n; j++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", argv[i], list[j]->d_name);
        if (list[j]->d_name[0] != '.' && !stat(path, &st) && S_ISREG(st.st_mode)) {
          bad |= RunFile(path);
          runs++;
        }
        free(list[j]);
      }
      if (n > 0) free(list);
    } else {
      bad |= RunFile(argv[i]);
      runs++;
    }
  }
  printf("replay: %d inputs, %s\n", runs, bad ? "some unreadable" : "no crash");
  return bad;
}
