/* umbra HDF5 files: parallel (MPI-IO) access, atomic creation through a temporary file,
   format identification and provenance. */
#include <umbra/io.h>
#include <errno.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct _p_UmbH5 {
  MPI_Comm  comm;
  hid_t     file;
  PetscBool writing;
  char      path[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN + 16];
  char      prev[PETSC_MAX_PATH_LEN]; /* if set, the file at path becomes prev when the new one is committed */
  PetscBool partial;                   /* tmp is a partial file: kept when closed without commit */
};

/* One rank reads and writes through POSIX calls (HDF5's sec2 driver): the same files without
   MPI-IO's collective buffering, which on one rank only copies the data twice; without file
   locks, as MPI-IO (atomicity comes from writing a temporary file and renaming it) */
static PetscErrorCode FileAccessList(MPI_Comm comm, hid_t *fapl)
{
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  UmbCallHDF5Id(*fapl, H5Pcreate(H5P_FILE_ACCESS));
  if (size == 1) {
    UmbCallHDF5(H5Pset_fapl_sec2(*fapl));
    UmbCallHDF5(H5Pset_file_locking(*fapl, 0, 1));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  UmbCallHDF5(H5Pset_fapl_mpio(*fapl, comm, MPI_INFO_NULL));
  /* attributes and groups are created collectively and kept in sync on all ranks */
  UmbCallHDF5(H5Pset_all_coll_metadata_ops(*fapl, 1));
  UmbCallHDF5(H5Pset_coll_metadata_write(*fapl, 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: the ranks agree on a failure one of them saw (why non-empty there); afterwards
   every rank holds the reason of the lowest failing rank, or "" */
static PetscErrorCode AgreeFailure(MPI_Comm comm, char why[], int len)
{
  PetscMPIInt rank, size, mine, first;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  mine = why[0] ? rank : size;
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first < size) PetscCallMPI(MPI_Bcast(why, len, MPI_CHAR, first, comm));
  else why[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Why writing h failed, from HDF5's innermost error; a full disk is named as such (HDF5 only
   says "file write failed"): errno, or less than 1 MiB left where the file is */
static void WriteFailure(UmbH5 h, char why[], size_t len)
{
  char           detail[256], dir[sizeof(h->tmp)], *slash;
  const char    *file = h->writing ? h->tmp : h->path;
  int            err  = errno;
  struct statvfs fs;
  PetscBool      full;

  UmbHDF5LastError(detail, sizeof(detail));
  H5Eclear2(H5E_DEFAULT);
  snprintf(dir, sizeof(dir), "%s", file);
  if ((slash = strrchr(dir, '/'))) *slash = 0;
  else snprintf(dir, sizeof(dir), ".");
  full = err == ENOSPC || err == EDQUOT || (!statvfs(dir, &fs) && (double)fs.f_bavail * fs.f_frsize < 1048576.0) ? PETSC_TRUE : PETSC_FALSE;
  snprintf(why, len, "cannot write %s: %s%s%s", file, full ? "the disk is full (No space left on device)" : "", full && detail[0] ? "; HDF5: " : "", detail[0] ? detail : full ? "" : "HDF5 gives no reason");
}

/* status < 0 of a step of writing h stops this rank, naming the file. Not collective: after a
   failed write HDF5's own collective calls may not match on every rank (some wait inside one),
   so the ranks are not asked to agree here; the failed run's end takes the job down
   (UmbFinalize) and removes the temporary file. */
static PetscErrorCode CheckWrite(UmbH5 h, int64_t status)
{
  char why[PETSC_MAX_PATH_LEN + 512] = "";

  PetscFunctionBegin;
  if (status < 0) WriteFailure(h, why, sizeof(why));
  PetscCheck(!why[0], PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s", why);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: status < 0 of reading what ("dataset /samples/x") on any rank stops every rank
   with a message naming file and object ("fails its checksum" for damaged data or metadata) */
static PetscErrorCode CheckRead(UmbH5 h, const char what[], int64_t status)
{
  char detail[256] = "", why[4 * PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBegin;
  if (status < 0) {
    UmbHDF5LastError(detail, sizeof(detail));
    H5Eclear2(H5E_DEFAULT);
    if (strstr(detail, "checksum")) snprintf(why, sizeof(why), "%s: %s fails its checksum: the file is damaged (%s)", h->path, what, detail);
    else snprintf(why, sizeof(why), "%s: cannot read %s (damaged file?): %s", h->path, what, detail[0] ? detail : "HDF5 gives no reason");
  }
  PetscCall(AgreeFailure(h->comm, why, (int)sizeof(why)));
  PetscCheck(!why[0], h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", why);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A failed step (status < 0) of reading object obj or its attribute name: in a file opened for
   reading, a damaged file, said collectively naming file and object; otherwise an HDF5 failure */
static PetscErrorCode ReadStep(UmbH5 h, const char obj[], const char name[], int64_t status)
{
  char what[2 * PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  if (!h->writing) {
    if (name) snprintf(what, sizeof(what), "attribute %s of %s", name, obj);
    else snprintf(what, sizeof(what), "object %s", obj);
    PetscCall(CheckRead(h, what, status));
  }
  UmbCallHDF5(status);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5CheckIO(UmbH5 h, const char name[], PetscBool write, herr_t status)
{
  char why[PETSC_MAX_PATH_LEN + 512] = "";

  PetscFunctionBegin;
  if (!write) {
    snprintf(why, sizeof(why), "dataset %s", name);
    PetscCall(CheckRead(h, why, status));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(CheckWrite(h, status));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteProvenance(UmbH5 h)
{
  const UmbProvenance *p;
  char                 ranks[32];

  PetscFunctionBegin;
  PetscCall(UmbProvenanceGet(h->comm, &p));
  snprintf(ranks, sizeof(ranks), "%d", p->nranks);
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "version", p->version));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "command", p->command));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "options", p->options ? p->options : ""));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "ranks", ranks));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "host", p->host));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "date", p->date));
  PetscCall(UmbH5WriteAttrString(h, "/provenance", "libraries", p->libraries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Creates path + suffix, removed if the run fails (a partial file survives a stop for a restart) */
static PetscErrorCode CreateFile(MPI_Comm comm, const char path[], const char suffix[], PetscBool partial, const char kind[], UmbH5 *out)
{
  UmbH5 h;
  hid_t fapl;
  char  version[32];

  PetscFunctionBegin;
  PetscCall(PetscNew(&h));
  h->comm      = comm;
  h->writing   = PETSC_TRUE;
  h->partial   = partial;
  PetscCall(PetscStrncpy(h->path, path, sizeof(h->path)));
  snprintf(h->tmp, sizeof(h->tmp), "%s%s", path, suffix);
  PetscCall(UmbTempFileRegister(h->tmp));
  PetscCall(FileAccessList(comm, &fapl));
  /* the 1.10 file format: superblock, object headers and chunk indexes carry checksums */
  UmbCallHDF5(H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110));
  h->file = H5Fcreate(h->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  UmbCallHDF5(H5Pclose(fapl));
  PetscCall(CheckWrite(h, h->file));
  snprintf(version, sizeof(version), "%d.%d", UMB_H5_FORMAT_MAJOR, UMB_H5_FORMAT_MINOR);
  PetscCall(UmbH5WriteAttrString(h, "/", "umbra_format", version));
  PetscCall(UmbH5WriteAttrString(h, "/", "umbra_kind", kind));
  PetscCall(WriteProvenance(h));
  *out = h;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5Create(MPI_Comm comm, const char path[], const char kind[], UmbH5 *out)
{
  PetscFunctionBegin;
  PetscCall(CreateFile(comm, path, ".tmp", PETSC_FALSE, kind, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5CreatePartial(MPI_Comm comm, const char path[], const char kind[], UmbH5 *out)
{
  PetscFunctionBegin;
  PetscCall(CreateFile(comm, path, ".partial", PETSC_TRUE, kind, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5KeepPrevious(UmbH5 h, const char prev[])
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(h->prev, prev, sizeof(h->prev)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5Flush(UmbH5 h)
{
  PetscFunctionBegin;
  PetscCall(CheckWrite(h, H5Fflush(h->file, H5F_SCOPE_GLOBAL)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the format checks of UmbH5Open on an open file */
static PetscErrorCode CheckFormat(UmbH5 h, const char kind[])
{
  char version[32] = "", filekind[64] = "";
  int  major       = -1;

  PetscFunctionBegin;
  if (H5Aexists(h->file, "umbra_format") > 0) PetscCall(UmbH5ReadAttrString(h, "/", "umbra_format", version, sizeof(version)));
  PetscCheck(version[0] && sscanf(version, "%d", &major) == 1, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s is not an umbra file (no umbra_format attribute)", h->path);
  PetscCheck(major == UMB_H5_FORMAT_MAJOR, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s has umbra format %s; this umbra (%s) reads format %d.x", h->path, version, UmbVersion(), UMB_H5_FORMAT_MAJOR);
  if (kind) {
    if (H5Aexists(h->file, "umbra_kind") > 0) PetscCall(UmbH5ReadAttrString(h, "/", "umbra_kind", filekind, sizeof(filekind)));
    PetscCheck(!strcmp(filekind, kind), h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s holds '%s', expected '%s'", h->path, filekind, kind);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5Open(MPI_Comm comm, const char path[], const char kind[], UmbH5 *out)
{
  UmbH5          h;
  hid_t          fapl, file;
  PetscBool      exists;
  htri_t         ish5;
  PetscErrorCode ierr;
  char           why[256];

  PetscFunctionBegin;
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, comm, PETSC_ERR_FILE_OPEN, "cannot read %s: no such file", path);
  ish5 = H5Fis_hdf5(path);
  PetscCheck(ish5 > 0, comm, PETSC_ERR_FILE_UNEXPECTED, "%s is not an HDF5 file (truncated or corrupt?)", path);
  PetscCall(FileAccessList(comm, &fapl));
  file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (file < 0) UmbHDF5LastError(why, sizeof(why)); /* e.g. "truncated file: eof = ..." */
  UmbCallHDF5(H5Pclose(fapl));
  PetscCheck(file >= 0, comm, PETSC_ERR_FILE_OPEN, "cannot open %s (truncated or corrupt HDF5 file): %s", path, why[0] ? why : "HDF5 gives no reason");
  PetscCall(PetscNew(&h));
  h->comm = comm;
  h->file = file;
  PetscCall(PetscStrncpy(h->path, path, sizeof(h->path)));
  /* a file that fails the checks is closed again (every rank fails them together) */
  ierr = CheckFormat(h, kind);
  if (ierr) PetscCall(UmbH5Close(&h, PETSC_FALSE));
  PetscCall(ierr);
  *out = h;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5ReopenPartial(MPI_Comm comm, const char path[], const char kind[], UmbH5 *out)
{
  UmbH5          h;
  hid_t          fapl;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscNew(&h));
  h->comm    = comm;
  h->writing = PETSC_TRUE;
  h->partial = PETSC_TRUE;
  PetscCall(PetscStrncpy(h->path, path, sizeof(h->path)));
  snprintf(h->tmp, sizeof(h->tmp), "%s.partial", path);
  PetscCall(FileAccessList(comm, &fapl));
  h->file = H5Fopen(h->tmp, H5F_ACC_RDWR, fapl);
  UmbCallHDF5(H5Pclose(fapl));
  if (h->file < 0) PetscCall(PetscFree(h));
  PetscCheck(h, comm, PETSC_ERR_FILE_OPEN, "cannot open %s.partial (missing or corrupt)", path);
  ierr = CheckFormat(h, kind);
  if (ierr) {
    UmbCallHDF5(H5Fclose(h->file));
    PetscCall(PetscFree(h));
  }
  PetscCall(ierr);
  PetscCall(UmbTempFileRegister(h->tmp)); /* a failing run removes it; a stopped one keeps it */
  *out = h;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A file that cannot be written in full (a full disk) stops the rank that saw it (CheckWrite);
   the failed run's end removes the temporary file */
PetscErrorCode UmbH5Close(UmbH5 *hp, PetscBool commit)
{
  UmbH5       h = *hp;
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        why[PETSC_MAX_PATH_LEN + 512] = "";

  PetscFunctionBegin;
  if (!h) PetscFunctionReturn(PETSC_SUCCESS);
  comm = h->comm;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (h->file >= 0 && H5Fclose(h->file) < 0) {
    WriteFailure(h, why, sizeof(why));
    h->file = -1;
    PetscCheck(!h->writing, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s", why); /* as in CheckWrite */
  }
  h->file = -1;
  if (h->writing) {
    /* every rank's data is on disk (or failed) before the rename */
    PetscCall(AgreeFailure(h->comm, why, (int)sizeof(why)));
    if (!rank) {
      if (commit && !why[0]) {
        PetscErrorCode ierr;
        PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
        if (h->prev[0]) ierr = UmbFileCommitKeep(h->tmp, h->path, h->prev);
        else ierr = UmbFileCommit(h->tmp, h->path);
        PetscCall(PetscPopErrorHandler());
        if (ierr) snprintf(why, sizeof(why), "cannot publish %s: %s", h->path, strerror(errno));
      }
      if ((why[0] || !commit) && !h->partial) unlink(h->tmp);
    }
    PetscCall(UmbTempFileRelease(h->tmp));
    PetscCallMPI(MPI_Bcast(why, (int)sizeof(why), MPI_CHAR, 0, h->comm));
  } else PetscCall(AgreeFailure(h->comm, why, (int)sizeof(why)));
  PetscCall(PetscFree(*hp));
  PetscCheck(!why[0], comm, PETSC_ERR_FILE_WRITE, "%s", why);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5GetId(UmbH5 h, hid_t *id)
{
  PetscFunctionBegin;
  *id = h->file;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5GetComm(UmbH5 h, MPI_Comm *comm)
{
  PetscFunctionBegin;
  *comm = h->comm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5GetPath(UmbH5 h, const char **path)
{
  PetscFunctionBegin;
  *path = h->path;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5HasObject(UmbH5 h, const char name[], PetscBool *has)
{
  char   part[PETSC_MAX_PATH_LEN], detail[256] = "", why[2 * PETSC_MAX_PATH_LEN + 512] = "";
  htri_t e = 1;

  PetscFunctionBegin;
  /* H5Lexists fails on a missing intermediate group: walk the path */
  for (size_t i = 1; e > 0 && i <= strlen(name); i++) {
    if (name[i] != '/' && name[i] != 0) continue;
    PetscCall(PetscStrncpy(part, name, PetscMin(i + 1, sizeof(part))));
    e = H5Lexists(h->file, part, H5P_DEFAULT);
  }
  if (e < 0) { /* not "missing": the group's index cannot be read */
    UmbHDF5LastError(detail, sizeof(detail));
    snprintf(why, sizeof(why), "%s: cannot look up %s%s (damaged file?): %s", h->path, part, strstr(detail, "checksum") ? ", it fails its checksum" : "", detail[0] ? detail : "HDF5 gives no reason");
  }
  PetscCall(AgreeFailure(h->comm, why, (int)sizeof(why)));
  PetscCheck(!why[0], h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s", why);
  *has = e > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Opens an object, creating missing groups when asked */
static PetscErrorCode EnsureParentGroups(UmbH5 h, const char name[])
{
  char part[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  for (size_t i = 1; i < strlen(name); i++) {
    if (name[i] != '/') continue;
    PetscCall(PetscStrncpy(part, name, PetscMin(i + 1, sizeof(part))));
    if (H5Lexists(h->file, part, H5P_DEFAULT) <= 0) {
      hid_t g;
      PetscCall(CheckWrite(h, g = H5Gcreate2(h->file, part, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
      PetscCall(CheckWrite(h, H5Gclose(g)));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Chunks of about UMB_H5_CHUNK_BYTES: small enough that a partial write (a block of frames of
   each walker) rewrites little, large enough that the per-chunk index and checksum cost nothing */
#define UMB_H5_CHUNK_BYTES (1 << 20)

/* Chunked with the Fletcher32 filter, so a damaged block of data fails its checksum when read */
static PetscErrorCode ChecksummedLayout(int rank, const hsize_t dims[], size_t elsize, hid_t *dcpl)
{
  hsize_t chunk[3], rowbytes = elsize;

  PetscFunctionBegin;
  UmbCallHDF5Id(*dcpl, H5Pcreate(H5P_DATASET_CREATE));
  for (int i = 1; i < rank; i++) rowbytes *= dims[i];
  if (dims[0] == 0 || rowbytes == 0 || rowbytes > 0xffffffffu / 2) PetscFunctionReturn(PETSC_SUCCESS); /* nothing to check, or rows too long for one chunk */
  for (int i = 1; i < rank; i++) chunk[i] = dims[i];
  chunk[0] = PetscMax(1, PetscMin(dims[0], UMB_H5_CHUNK_BYTES / rowbytes));
  UmbCallHDF5(H5Pset_chunk(*dcpl, rank, chunk));
  UmbCallHDF5(H5Pset_fletcher32(*dcpl));
  /* every byte is written by umbra before the file is read: no fill pass over the chunks */
  UmbCallHDF5(H5Pset_fill_time(*dcpl, H5D_FILL_TIME_NEVER));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5CreateDataset(UmbH5 h, const char name[], hid_t type, int rank, const hsize_t dims[])
{
  hid_t space, dset, dcpl;

  PetscFunctionBegin;
  PetscCall(EnsureParentGroups(h, name));
  UmbCallHDF5Id(space, H5Screate_simple(rank, dims, NULL));
  PetscCall(ChecksummedLayout(rank, dims, H5Tget_size(type), &dcpl));
  PetscCall(CheckWrite(h, dset = H5Dcreate2(h->file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
  UmbCallHDF5(H5Pclose(dcpl));
  PetscCall(CheckWrite(h, H5Dclose(dset)));
  UmbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenDataset(UmbH5 h, const char name[], hid_t *dset)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(UmbH5HasObject(h, name, &has));
  PetscCheck(has, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s", h->path, name);
  PetscCall(ReadStep(h, name, NULL, *dset = H5Dopen2(h->file, name, H5P_DEFAULT)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5GetShape(UmbH5 h, const char name[], int *rank, hsize_t dims[])
{
  hid_t dset, space;
  int   r;

  PetscFunctionBegin;
  PetscCall(OpenDataset(h, name, &dset));
  UmbCallHDF5Id(space, H5Dget_space(dset));
  UmbCallHDF5Id(r, H5Sget_simple_extent_ndims(space));
  PetscCheck(r <= 3, h->comm, PETSC_ERR_FILE_UNEXPECTED, "dataset %s in %s has rank %d", name, h->path, r);
  UmbCallHDF5(H5Sget_simple_extent_dims(space, dims, NULL));
  *rank = r;
  UmbCallHDF5(H5Sclose(space));
  UmbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Selects rows [row0, row0+nrows) of the file space and a matching memory space */
static PetscErrorCode SelectRows(hid_t dset, hsize_t row0, hsize_t nrows, hid_t *fspace, hid_t *mspace)
{
  hsize_t dims[3], start[3] = {0, 0, 0}, count[3];
  int     r;

  PetscFunctionBegin;
  UmbCallHDF5Id(*fspace, H5Dget_space(dset));
  UmbCallHDF5Id(r, H5Sget_simple_extent_ndims(*fspace));
  UmbCallHDF5(H5Sget_simple_extent_dims(*fspace, dims, NULL));
  PetscCheck(row0 + nrows <= dims[0], PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "rows %llu..%llu outside dataset of %llu rows", (unsigned long long)row0, (unsigned long long)(row0 + nrows), (unsigned long long)dims[0]);
  for (int i = 0; i < r; i++) count[i] = dims[i];
  start[0] = row0;
  count[0] = nrows;
  if (nrows) UmbCallHDF5(H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  else UmbCallHDF5(H5Sselect_none(*fspace));
  UmbCallHDF5Id(*mspace, H5Screate_simple(r, count, NULL));
  if (!nrows) UmbCallHDF5(H5Sselect_none(*mspace));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The transfer property list of a dataset read or write: collective on a file shared by several
   ranks (MPI-IO), the default on one rank's file (POSIX) */
PetscErrorCode UmbH5TransferList(UmbH5 h, hid_t *dxpl)
{
  PetscMPIInt size;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(h->comm, &size));
  UmbCallHDF5Id(*dxpl, H5Pcreate(H5P_DATASET_XFER));
  if (size > 1) UmbCallHDF5(H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RowsIO(UmbH5 h, const char name[], hid_t memtype, hsize_t row0, hsize_t nrows, void *buf, PetscBool write)
{
  hid_t  dset, fspace, mspace = -1, dxpl;
  herr_t status;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(write ? UMB_EVENT.h5_write : UMB_EVENT.h5_read, 0, 0, 0, 0));
  PetscCall(OpenDataset(h, name, &dset));
  PetscCall(SelectRows(dset, row0, nrows, &fspace, &mspace));
  PetscCall(UmbH5TransferList(h, &dxpl));
  status = write ? H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf) : H5Dread(dset, memtype, mspace, fspace, dxpl, buf);
  PetscCall(UmbH5CheckIO(h, name, write, status));
  UmbCallHDF5(H5Pclose(dxpl));
  UmbCallHDF5(H5Sclose(mspace));
  UmbCallHDF5(H5Sclose(fspace));
  UmbCallHDF5(H5Dclose(dset));
  PetscCall(PetscLogEventEnd(write ? UMB_EVENT.h5_write : UMB_EVENT.h5_read, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5WriteRows(UmbH5 h, const char name[], hid_t memtype, hsize_t row0, hsize_t nrows, const void *buf)
{
  PetscFunctionBegin;
  PetscCall(RowsIO(h, name, memtype, row0, nrows, (void *)buf, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5ReadRows(UmbH5 h, const char name[], hid_t memtype, hsize_t row0, hsize_t nrows, void *buf)
{
  PetscFunctionBegin;
  PetscCall(RowsIO(h, name, memtype, row0, nrows, buf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5WriteSmall(UmbH5 h, const char name[], hid_t memtype, int rank, const hsize_t dims[], const void *buf)
{
  PetscMPIInt r;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(h->comm, &r));
  PetscCall(UmbH5CreateDataset(h, name, memtype, rank, dims));
  PetscCall(RowsIO(h, name, memtype, 0, r ? 0 : dims[0], (void *)buf, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads a whole (small) dataset on every rank; size is the buffer size in elements */
PetscErrorCode UmbH5ReadSmall(UmbH5 h, const char name[], hid_t memtype, size_t size, void *buf)
{
  int     rank;
  hsize_t dims[3];
  size_t  n = 1;

  PetscFunctionBegin;
  PetscCall(UmbH5GetShape(h, name, &rank, dims));
  for (int i = 0; i < rank; i++) n *= dims[i];
  PetscCheck(n <= size, h->comm, PETSC_ERR_FILE_UNEXPECTED, "dataset %s in %s has %zu elements, expected at most %zu", name, h->path, n, size);
  PetscCall(RowsIO(h, name, memtype, 0, dims[0], buf, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Attributes ------------------------------------------------------------------------- */

static PetscErrorCode OpenObject(UmbH5 h, const char obj[], PetscBool create, hid_t *id)
{
  PetscBool has;

  PetscFunctionBegin;
  if (!strcmp(obj, "/")) {
    PetscCall(ReadStep(h, obj, NULL, *id = H5Oopen(h->file, "/", H5P_DEFAULT)));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbH5HasObject(h, obj, &has));
  if (!has) {
    char name[PETSC_MAX_PATH_LEN];
    hid_t g;
    PetscCheck(create, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s has no object %s", h->path, obj);
    snprintf(name, sizeof(name), "%s/", obj); /* creates obj itself as a group */
    PetscCall(EnsureParentGroups(h, name));
    UmbCallHDF5Id(g, H5Oopen(h->file, obj, H5P_DEFAULT));
    *id = g;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(ReadStep(h, obj, NULL, *id = H5Oopen(h->file, obj, H5P_DEFAULT)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteAttr(UmbH5 h, const char obj[], const char name[], hid_t type, hid_t memtype, hsize_t n, const void *buf)
{
  hid_t o, space, attr;

  PetscFunctionBegin;
  PetscCall(OpenObject(h, obj, PETSC_TRUE, &o));
  if (H5Aexists(o, name) > 0) PetscCall(CheckWrite(h, H5Adelete(o, name)));
  if (n == 0) UmbCallHDF5Id(space, H5Screate(H5S_SCALAR));
  else UmbCallHDF5Id(space, H5Screate_simple(1, &n, NULL));
  PetscCall(CheckWrite(h, attr = H5Acreate2(o, name, type, space, H5P_DEFAULT, H5P_DEFAULT)));
  PetscCall(CheckWrite(h, H5Awrite(attr, memtype, buf)));
  PetscCall(CheckWrite(h, H5Aclose(attr)));
  UmbCallHDF5(H5Sclose(space));
  UmbCallHDF5(H5Oclose(o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5WriteAttrString(UmbH5 h, const char obj[], const char name[], const char value[])
{
  hid_t type;

  PetscFunctionBegin;
  UmbCallHDF5Id(type, H5Tcopy(H5T_C_S1));
  UmbCallHDF5(H5Tset_size(type, strlen(value) + 1));
  UmbCallHDF5(H5Tset_strpad(type, H5T_STR_NULLTERM));
  PetscCall(WriteAttr(h, obj, name, type, type, 0, value));
  UmbCallHDF5(H5Tclose(type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5WriteAttrReals(UmbH5 h, const char obj[], const char name[], PetscInt n, const PetscReal v[])
{
  PetscFunctionBegin;
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "attribute %s needs at least one value", name);
  PetscCall(WriteAttr(h, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5WriteAttrInt(UmbH5 h, const char obj[], const char name[], PetscInt64 v)
{
  long long buf = (long long)v;

  PetscFunctionBegin;
  PetscCall(WriteAttr(h, obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, &buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenAttr(UmbH5 h, const char obj[], const char name[], hid_t *o, hid_t *attr, hssize_t *npoints)
{
  hid_t  space;
  htri_t e;

  PetscFunctionBegin;
  PetscCall(OpenObject(h, obj, PETSC_FALSE, o));
  PetscCall(ReadStep(h, obj, name, e = H5Aexists(*o, name)));
  PetscCheck(e > 0, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: object %s has no attribute %s", h->path, obj, name);
  PetscCall(ReadStep(h, obj, name, *attr = H5Aopen(*o, name, H5P_DEFAULT)));
  UmbCallHDF5Id(space, H5Aget_space(*attr));
  *npoints = H5Sget_simple_extent_npoints(space);
  UmbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5ReadAttrString(UmbH5 h, const char obj[], const char name[], char value[], size_t len)
{
  hid_t    o, attr, ftype, type;
  hssize_t np;
  size_t   size;
  char    *buf;

  PetscFunctionBegin;
  PetscCall(OpenAttr(h, obj, name, &o, &attr, &np));
  UmbCallHDF5Id(ftype, H5Aget_type(attr));
  PetscCheck(H5Tget_class(ftype) == H5T_STRING && !H5Tis_variable_str(ftype), h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute %s of %s is not a string", h->path, name, obj);
  size = H5Tget_size(ftype);
  PetscCall(PetscCalloc1(size + 1, &buf));
  UmbCallHDF5Id(type, H5Tcopy(H5T_C_S1));
  UmbCallHDF5(H5Tset_size(type, size + 1)); /* room for a terminator h5py may not have written */
  PetscCall(ReadStep(h, obj, name, H5Aread(attr, type, buf)));
  snprintf(value, len, "%s", buf);
  PetscCall(PetscFree(buf));
  UmbCallHDF5(H5Tclose(type));
  UmbCallHDF5(H5Tclose(ftype));
  UmbCallHDF5(H5Aclose(attr));
  UmbCallHDF5(H5Oclose(o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5ReadAttrReals(UmbH5 h, const char obj[], const char name[], PetscInt n, PetscReal v[])
{
  hid_t    o, attr;
  hssize_t np;

  PetscFunctionBegin;
  PetscCall(OpenAttr(h, obj, name, &o, &attr, &np));
  PetscCheck(np == n, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute %s of %s has %lld values, expected %" PetscInt_FMT, h->path, name, obj, (long long)np, n);
  PetscCall(ReadStep(h, obj, name, H5Aread(attr, H5T_NATIVE_DOUBLE, v)));
  UmbCallHDF5(H5Aclose(attr));
  UmbCallHDF5(H5Oclose(o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbH5ReadAttrInt(UmbH5 h, const char obj[], const char name[], PetscInt64 *v)
{
  hid_t     o, attr;
  hssize_t  np;
  long long buf;

  PetscFunctionBegin;
  PetscCall(OpenAttr(h, obj, name, &o, &attr, &np));
  PetscCheck(np == 1, h->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute %s of %s has %lld values, expected 1", h->path, name, obj, (long long)np);
  PetscCall(ReadStep(h, obj, name, H5Aread(attr, H5T_NATIVE_LLONG, &buf)));
  *v = (PetscInt64)buf;
  UmbCallHDF5(H5Aclose(attr));
  UmbCallHDF5(H5Oclose(o));
  PetscFunctionReturn(PETSC_SUCCESS);
}
