/* Reading the CSV tables of a run directory (rank 0): the provenance comment, the header and
   the cells as strings, converted to numbers on demand. */
#include <umbra/private/reportimpl.h>
#include <errno.h>
#include <stdlib.h>

/* Splits line at commas in place; returns the number of fields (at most max) */
static PetscInt SplitFields(char *line, char **fields, PetscInt max)
{
  PetscInt n = 0;
  char    *p = line;
  while (n < max) {
    fields[n++] = p;
    p           = strchr(p, ',');
    if (!p) break;
    *p++ = 0;
  }
  return p ? max + 1 : n;
}

PetscErrorCode UmbTableRead(const char path[], UmbTable *t)
{
  FILE    *f;
  long     size;
  char    *line, *next;
  PetscInt cap = 0, lineno = 0;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(t, sizeof(*t)));
  f = fopen(path, "r");
  PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot read %s: %s", path, strerror(errno));
  if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot read %s: %s", path, strerror(errno));
  }
  PetscCall(PetscMalloc1(size + 1, &t->buf));
  if (fread(t->buf, 1, (size_t)size, f) != (size_t)size) {
    fclose(f);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot read %s", path);
  }
  fclose(f);
  t->buf[size] = 0;
  for (line = t->buf; line && *line; line = next) {
    char *end;
    lineno++;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if ((end = strchr(line, '\r'))) *end = 0;
    if (line[0] == '#') {
      if (!t->provenance[0]) snprintf(t->provenance, sizeof(t->provenance), "%s", line[1] == ' ' ? line + 2 : line + 1);
      continue;
    }
    if (!line[0]) continue;
    if (!t->names) { /* the header */
      t->ncols = 1;
      for (char *p = line; *p; p++) t->ncols += *p == ',';
      PetscCall(PetscMalloc1(t->ncols, &t->names));
      (void)SplitFields(line, t->names, t->ncols);
      continue;
    }
    if (t->nrows == cap) {
      char **cells;
      cap = cap ? 2 * cap : 64;
      PetscCall(PetscMalloc1(cap * t->ncols, &cells));
      if (t->nrows) PetscCall(PetscArraycpy(cells, t->cells, t->nrows * t->ncols));
      PetscCall(PetscFree(t->cells));
      t->cells = cells;
    }
    PetscCheck(SplitFields(line, t->cells + t->nrows * t->ncols, t->ncols) == t->ncols, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s line %" PetscInt_FMT ": expected %" PetscInt_FMT " comma-separated fields", path, lineno, t->ncols);
    t->nrows++;
  }
  PetscCheck(t->names, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no header line", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbTableDestroy(UmbTable *t)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(t->names));
  PetscCall(PetscFree(t->cells));
  PetscCall(PetscFree(t->buf));
  PetscCall(PetscMemzero(t, sizeof(*t)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt UmbTableColumn(const UmbTable *t, const char name[])
{
  for (PetscInt j = 0; j < t->ncols; j++)
    if (!strcmp(t->names[j], name)) return j;
  return -1;
}

const char *UmbTableString(const UmbTable *t, PetscInt row, PetscInt col) { return (col < 0 || row < 0 || row >= t->nrows) ? "" : t->cells[row * t->ncols + col]; }

PetscReal UmbTableReal(const UmbTable *t, PetscInt row, PetscInt col)
{
  const char *s = UmbTableString(t, row, col);
  char       *end;
  double      v;
  if (!s[0]) return (PetscReal)NAN;
  v = strtod(s, &end);
  return *end ? (PetscReal)NAN : (PetscReal)v;
}

/* The value of option name (e.g. "-beta") in the provenance line's options="...", if given */
PetscBool UmbTableOption(const UmbTable *t, const char name[], char value[], size_t len)
{
  const char *o = strstr(t->provenance, "options=\""), *p;
  size_t      n = strlen(name), k = 0;

  if (!o) return PETSC_FALSE;
  for (p = strstr(o, name); p; p = strstr(p + 1, name)) {
    if (p[-1] != ' ' && p[-1] != '"') continue;
    if (p[n] != ' ') continue;
    p += n + 1;
    while (*p && *p != ' ' && *p != '"' && k + 1 < len) value[k++] = *p++;
    value[k] = 0;
    return PETSC_TRUE;
  }
  return PETSC_FALSE;
}
