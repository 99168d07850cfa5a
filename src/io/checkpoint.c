/* Checkpoints of the long stages: <dir>/ckpt/<stage>.h5 written through a temporary file and
   renamed into place after the previous one became <stage>.prev.h5, so a crash at any moment
   leaves at least one complete checkpoint. A restart takes the newest usable one and refuses to
   continue a trajectory under other options. */
#include <umbra/io.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

PetscErrorCode UmbOptionRecordAdd(UmbOptionRecord *rec, const char name[], const char fmt[], ...)
{
  size_t  len = strlen(rec->text);
  va_list ap;
  int     n;

  PetscFunctionBegin;
  n = snprintf(rec->text + len, sizeof(rec->text) - len, "%s=", name);
  PetscCheck(n > 0 && (size_t)n < sizeof(rec->text) - len, PETSC_COMM_SELF, PETSC_ERR_PLIB, "option record full at %s", name);
  len += (size_t)n;
  va_start(ap, fmt);
  n = vsnprintf(rec->text + len, sizeof(rec->text) - len, fmt, ap);
  va_end(ap);
  PetscCheck(n >= 0 && (size_t)n + 1 < sizeof(rec->text) - len, PETSC_COMM_SELF, PETSC_ERR_PLIB, "option record full at %s", name);
  strcat(rec->text, "\n");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbOptionRecordAddReals(UmbOptionRecord *rec, const char name[], PetscInt n, const PetscReal v[])
{
  char value[512] = "";

  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    char one[40];
    for (int prec = 1; prec <= 17; prec++) { /* shortest form that reads back exactly */
      snprintf(one, sizeof(one), "%.*g", prec, (double)v[i]);
      if (strtod(one, NULL) == (double)v[i]) break;
    }
    PetscCall(UmbStrlcat(value, i ? "," : "", sizeof(value)));
    PetscCall(UmbStrlcat(value, one, sizeof(value)));
  }
  PetscCall(UmbOptionRecordAdd(rec, name, "%s", value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Paths(const char dir[], const char stage[], char ckdir[], char cur[], char prev[])
{
  char name[64];

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "ckpt", ckdir, PETSC_MAX_PATH_LEN));
  snprintf(name, sizeof(name), "%s.h5", stage);
  PetscCall(UmbPathJoin(ckdir, name, cur, PETSC_MAX_PATH_LEN));
  snprintf(name, sizeof(name), "%s.prev.h5", stage);
  PetscCall(UmbPathJoin(ckdir, name, prev, PETSC_MAX_PATH_LEN));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCheckpointCreate(MPI_Comm comm, const char dir[], const char stage[], const UmbOptionRecord *rec, UmbH5 *h5)
{
  char        ckdir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN], kind[64];
  int         err = 0;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(Paths(dir, stage, ckdir, cur, prev));
  if (!rank && mkdir(ckdir, 0777) && errno != EEXIST) err = errno;
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCheck(!err, comm, PETSC_ERR_FILE_WRITE, "cannot create directory %s: %s", ckdir, strerror(err));
  snprintf(kind, sizeof(kind), "%s-checkpoint", stage);
  PetscCall(UmbH5Create(comm, cur, kind, h5));
  PetscCall(UmbH5KeepPrevious(*h5, prev));
  PetscCall(UmbH5WriteAttrString(*h5, "/", "options", rec->text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fault injection for tests (docs/reliability.md): with UMBRA_FAULT_KILL_IN_CHECKPOINT=n rank 0
   kills itself after the n-th checkpoint of the process is written to its temporary file, before
   the rename that publishes it */
static PetscErrorCode FaultKillInCheckpoint(UmbH5 h5)
{
  static int  count = 0;
  const char *env   = getenv("UMBRA_FAULT_KILL_IN_CHECKPOINT");
  MPI_Comm    comm;
  PetscMPIInt rank;

  PetscFunctionBegin;
  if (!env || atoi(env) != ++count) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbH5GetComm(h5, &comm));
  PetscCall(UmbH5Flush(h5));
  PetscCallMPI(MPI_Barrier(comm));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) raise(SIGKILL);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCheckpointCommit(UmbH5 *h5)
{
  PetscFunctionBegin;
  PetscCall(FaultKillInCheckpoint(*h5));
  PetscCall(UmbH5Close(h5, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  char  *text;
  size_t len;
} UmbWhy;

/* H5Lvisit callback: reads a dataset in full, so a damaged block fails its checksum here */
static herr_t ReadDataset(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
  UmbWhy  *w = (UmbWhy *)data;
  char     detail[200] = "";
  hid_t    obj, type = -1, space = -1;
  void    *buf = NULL;
  hssize_t n;

  (void)info;
  if ((obj = H5Oopen(g, name, H5P_DEFAULT)) < 0) UmbHDF5LastError(detail, sizeof(detail));
  else if (H5Iget_type(obj) == H5I_DATASET) {
    if ((type = H5Dget_type(obj)) < 0 || (space = H5Dget_space(obj)) < 0 || (n = H5Sget_simple_extent_npoints(space)) < 0) snprintf(detail, sizeof(detail), "no type or shape");
    else if (n > 0 && !(buf = malloc((size_t)n * H5Tget_size(type)))) snprintf(detail, sizeof(detail), "out of memory");
    else if (n > 0 && H5Dread(obj, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) UmbHDF5LastError(detail, sizeof(detail)); /* before any other call clears it */
    free(buf);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
  }
  if (obj >= 0) H5Oclose(obj);
  if (obj < 0 || detail[0]) {
    snprintf(w->text, w->len, "/%s cannot be read%s: %s", name, strstr(detail, "checksum") ? " (it fails its checksum)" : "", detail[0] ? detail : "corrupt");
    return 1; /* stop the walk */
  }
  return 0;
}

/* Rank-local, plain HDF5 (no collective calls, so a damaged file cannot leave ranks disagreeing):
   why is empty when path is an umbra file of the kind with every required object */
static void Usable(const char path[], const char kind[], const char *const required[], char why[], size_t len)
{
  hid_t  file, attr, type;
  char   found[64] = "";
  htri_t is;

  why[0] = 0;
  if (access(path, R_OK)) {
    snprintf(why, len, "%s", strerror(errno));
    return;
  }
  is = H5Fis_hdf5(path);
  if (is <= 0) {
    snprintf(why, len, "not an HDF5 file (truncated or corrupt)");
    return;
  }
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    char detail[200];
    UmbHDF5LastError(detail, sizeof(detail)); /* e.g. "truncated file: eof = ..." */
    snprintf(why, len, "HDF5 cannot open it: %s", detail[0] ? detail : "truncated or corrupt");
    return;
  }
  if (H5Aexists(file, "umbra_kind") > 0 && (attr = H5Aopen(file, "umbra_kind", H5P_DEFAULT)) >= 0) {
    hid_t space = H5Aget_space(attr);
    type        = H5Aget_type(attr);
    /* one fixed-length string only: an array of them, or numbers, would not fit in found */
    if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0 && H5Sget_simple_extent_npoints(space) == 1 && H5Tget_size(type) < sizeof(found)) H5Aread(attr, type, found);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Aclose(attr);
  } else {
    char detail[200];
    UmbHDF5LastError(detail, sizeof(detail)); /* a damaged root object, or no attribute at all */
    if (detail[0]) snprintf(why, len, "its root attributes cannot be read: %s", detail);
  }
  if (!why[0] && strcmp(found, kind)) snprintf(why, len, "it holds '%s', expected '%s'", found, kind);
  for (int i = 0; !why[0] && required && required[i]; i++) {
    char   part[PETSC_MAX_PATH_LEN];
    htri_t e = 1;
    for (size_t j = 1; e > 0 && j <= strlen(required[i]); j++) { /* H5Lexists needs every parent */
      if (required[i][j] != '/' && required[i][j] != 0) continue;
      snprintf(part, PetscMin(j + 1, sizeof(part)), "%s", required[i]);
      e = H5Lexists(file, part, H5P_DEFAULT);
    }
    if (e < 0) {
      char detail[200];
      UmbHDF5LastError(detail, sizeof(detail));
      snprintf(why, len, "%s cannot be looked up: %s", part, detail[0] ? detail : "corrupt");
    } else if (!e) snprintf(why, len, "%s is missing", required[i]);
  }
  if (!why[0] && H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, ReadDataset, &(UmbWhy){why, len}) < 0 && !why[0]) snprintf(why, len, "HDF5 cannot list its objects (corrupt)");
  if (H5Fclose(file) < 0 && !why[0]) snprintf(why, len, "HDF5 cannot close it (corrupt)");
}

PetscErrorCode UmbH5CheckUsable(MPI_Comm comm, const char path[], const char kind[], const char *const required[], char why[], size_t len)
{
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) Usable(path, kind, required, why, len);
  PetscCallMPI(MPI_Bcast(why, (PetscMPIInt)len, MPI_CHAR, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The first recorded option whose value differs from now's (both "name=value\n" lines) */
static PetscErrorCode CompareRecords(MPI_Comm comm, const char path[], const char was[], const char now[])
{
  const char *line = now;

  PetscFunctionBegin;
  while (*line) {
    const char *eq = strchr(line, '='), *end = strchr(line, '\n');
    char        name[128], value[1024], key[130], old[1024] = "";
    const char *p;
    if (!eq || !end) break;
    snprintf(name, sizeof(name), "%.*s", (int)(eq - line), line);
    snprintf(value, sizeof(value), "%.*s", (int)(end - eq - 1), eq + 1);
    snprintf(key, sizeof(key), "%s=", name);
    for (p = was; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
      if (!strncmp(p, key, strlen(key))) {
        const char *e = strchr(p, '\n');
        snprintf(old, sizeof(old), "%.*s", (int)(e ? e - p - strlen(key) : strlen(p + strlen(key))), p + strlen(key));
        break;
      }
    PetscCheck(p && *p, comm, PETSC_ERR_USER_INPUT, "cannot restart from %s: it does not record %s (written by another version?); start the stage over without -restart", path, name);
    PetscCheck(!strcmp(old, value), comm, PETSC_ERR_USER_INPUT, "%s is %s here but %s in the checkpoint %s; restart with the options of the interrupted run, or start over without -restart", name, value, old, path);
    line = end + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A checkpoint's temporary file left by a run killed (or out of disk space) while writing it:
   said, and removed; the last complete checkpoint is the one to continue from */
static PetscErrorCode RemoveUnfinished(MPI_Comm comm, const char cur[])
{
  char        tmp[PETSC_MAX_PATH_LEN + 8];
  PetscBool   has = PETSC_FALSE;
  PetscMPIInt rank;

  PetscFunctionBegin;
  snprintf(tmp, sizeof(tmp), "%s.tmp", cur);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  /* rank 0 decides: another rank might look only after rank 0 removed it */
  if (!rank) PetscCall(PetscTestFile(tmp, '\0', &has));
  PetscCallMPI(MPI_Bcast(&has, 1, MPIU_BOOL, 0, comm));
  if (!has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbLogWarning(comm, "-restart: %s is a checkpoint whose writing was interrupted (the run was killed or its disk was full); it is removed and the last complete checkpoint is used", tmp));
  if (!rank) unlink(tmp);
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCheckpointOpen(MPI_Comm comm, const char dir[], const char stage[], const UmbOptionRecord *rec, const char *const required[], const char producer[], UmbH5 *h5)
{
  char      ckdir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN], kind[64];
  char      why_cur[256], why_prev[256], *was;
  PetscBool has_cur, has_prev;

  PetscFunctionBegin;
  PetscCall(Paths(dir, stage, ckdir, cur, prev));
  snprintf(kind, sizeof(kind), "%s-checkpoint", stage);
  PetscCall(PetscTestFile(cur, 'r', &has_cur));
  PetscCall(PetscTestFile(prev, 'r', &has_prev));
  PetscCheck(has_cur || has_prev, comm, PETSC_ERR_FILE_OPEN, "-restart: there is no checkpoint %s (nor %s); it is written by %s; run without -restart to start the stage", cur, prev, producer);
  PetscCall(RemoveUnfinished(comm, cur));
  PetscCall(UmbH5CheckUsable(comm, cur, kind, required, why_cur, sizeof(why_cur)));
  if (!why_cur[0]) PetscCall(UmbH5Open(comm, cur, kind, h5));
  else {
    PetscCall(UmbH5CheckUsable(comm, prev, kind, required, why_prev, sizeof(why_prev)));
    PetscCheck(!why_prev[0], comm, PETSC_ERR_FILE_UNEXPECTED, "-restart: no usable checkpoint: %s: %s; %s: %s; run without -restart to start the stage over", cur, why_cur, prev, why_prev);
    PetscCall(UmbLogWarning(comm, "-restart: checkpoint %s is not usable (%s); continuing from the previous one, %s", cur, why_cur, prev));
    PetscCall(UmbH5Open(comm, prev, kind, h5));
  }
  PetscCall(PetscMalloc1(sizeof(rec->text), &was));
  PetscCall(UmbH5ReadAttrString(*h5, "/", "options", was, sizeof(rec->text)));
  {
    const char    *path;
    PetscErrorCode ierr;
    PetscCall(UmbH5GetPath(*h5, &path));
    ierr = CompareRecords(comm, path, was, rec->text);
    if (ierr) {
      PetscCall(PetscFree(was));
      PetscCall(UmbH5Close(h5, PETSC_FALSE));
    }
    PetscCall(ierr);
  }
  PetscCall(PetscFree(was));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCheckpointRemove(MPI_Comm comm, const char dir[], const char stage[])
{
  char        ckdir[PETSC_MAX_PATH_LEN], cur[PETSC_MAX_PATH_LEN], prev[PETSC_MAX_PATH_LEN];
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(Paths(dir, stage, ckdir, cur, prev));
  if (!rank) {
    unlink(cur);
    unlink(prev);
    rmdir(ckdir); /* only when no other stage's checkpoint is left */
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
