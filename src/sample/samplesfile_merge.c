/* The merged samples.h5 of a coupling round: the previous file's rows bit for bit, then the new
   windows' rows (windows appended, not sorted by centre), in the layout of docs/outputs.md,
   with /windows/round telling the round that added each window and, when any window was
   sampled with flow moves, the /windows/flow_* counts of every window (zero for the others),
   and /windows/superseded_by when a continued window replaces its earlier segment in the
   estimates. */
#include <umbra/private/samplesfileimpl.h>

#define UMB_MERGE_ROWS 32768 /* rows per rank and copy step */

/* Collective: rows [0, N) of an array of src to rows [row0, row0 + N) of dst, in steps of
   UMB_MERGE_ROWS rows per rank; doubles are copied, so the values are bit-identical */
static PetscErrorCode CopyRows(UmbSamplesFile src, UmbSamplesFile dst, UmbSamplesArray a, PetscInt ncol, PetscInt64 N, PetscInt64 row0)
{
  PetscMPIInt rank, size;
  PetscReal  *buf;
  PetscInt64  per;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(src->comm, &rank));
  PetscCallMPI(MPI_Comm_size(src->comm, &size));
  per = (PetscInt64)UMB_MERGE_ROWS * size;
  PetscCall(PetscMalloc1((size_t)UMB_MERGE_ROWS * ncol, &buf));
  for (PetscInt64 s0 = 0; s0 < N; s0 += per) {
    const PetscInt64 lo = PetscMin(N, s0 + (PetscInt64)rank * UMB_MERGE_ROWS), hi = PetscMin(N, lo + UMB_MERGE_ROWS);
    PetscCall(UmbSamplesFileReadRows(src, a, lo, hi - lo, buf));
    PetscCall(UmbSamplesFileWriteRows(dst, a, row0 + lo, hi - lo, buf));
  }
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* flow: K x 3 flow-move counts (NULL: no window had moves, no flow columns), as the sampler's
   windows.csv has them */
PetscErrorCode UmbSamplesFileWriteWindowsCsv(MPI_Comm comm, const char path[], const UmbSamplesTable *t, const PetscInt64 flow[])
{
  UmbCsv csv;
  char   header[256];

  PetscFunctionBegin;
  snprintf(header, sizeof(header), "window,center%s,kappa%s,n_samples,iact%s,f,df", t->d > 1 ? ",center2" : "", t->d > 1 ? ",kappa2" : "", flow ? ",flow_proposals,flow_acceptance,flow_switch_rate" : "");
  PetscCall(UmbCsvCreate(comm, path, header, &csv));
  for (PetscInt k = 0; k < t->K; k++) {
    const long long ns = (long long)(t->offset[k + 1] - t->offset[k]);
    char            extra[128] = "";
    if (flow) snprintf(extra, sizeof(extra), ",%" PetscInt64_FMT ",%.6g,%.6g", flow[3 * k], flow[3 * k] ? (double)flow[3 * k + 1] / (double)flow[3 * k] : 0.0, flow[3 * k] ? (double)flow[3 * k + 2] / (double)flow[3 * k] : 0.0);
    if (t->d == 1) PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%lld,%.6g%s,nan,nan", k, (double)t->center[k], (double)t->kappa[k], ns, (double)t->iact[k], extra));
    else PetscCall(UmbCsvRow(csv, "%" PetscInt_FMT ",%.17g,%.17g,%.17g,%.17g,%lld,%.6g%s,nan,nan", k, (double)t->center[2 * k], (double)t->center[2 * k + 1], (double)t->kappa[2 * k], (double)t->kappa[2 * k + 1], ns, (double)t->iact[k], extra));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The flow-move counts of a part's K windows into c (K x 3: proposals, accepted,
   mode switches; zeros when the part was sampled without moves) and, when it has them (*has),
   its settings */
static PetscErrorCode ReadFlowMoves(UmbSamplesFile sf, PetscInt K, PetscInt64 c[], PetscBool *has, PetscInt64 *interval, PetscReal *scale, PetscReal *mix)
{
  static const char *const names[3] = {"/windows/flow_proposals", "/windows/flow_accepted", "/windows/flow_switches"};
  long long               *buf;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < 3 * K; k++) c[k] = 0;
  PetscCall(UmbH5HasObject(sf->h5, names[0], has));
  if (!*has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(K, &buf));
  for (int j = 0; j < 3; j++) {
    int     r;
    hsize_t dims[3];
    PetscCall(UmbH5GetShape(sf->h5, names[j], &r, dims));
    PetscCheck(r == 1 && dims[0] == (hsize_t)K, sf->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold %" PetscInt_FMT " values", sf->path, names[j], K);
    PetscCall(UmbH5ReadSmall(sf->h5, names[j], H5T_NATIVE_LLONG, K, buf));
    for (PetscInt k = 0; k < K; k++) c[3 * k + j] = buf[k];
  }
  PetscCall(PetscFree(buf));
  PetscCall(UmbH5ReadAttrInt(sf->h5, "/windows", "flow_moves", interval));
  PetscCall(UmbH5ReadAttrReals(sf->h5, "/windows", "flow_base_scale", 1, scale));
  PetscCall(UmbH5ReadAttrReals(sf->h5, "/windows", "flow_mix", 1, mix));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenPart(MPI_Comm comm, const char dir[], UmbSamplesFile *sf, const UmbSamplesTable **t, PetscInt *n)
{
  char       path[PETSC_MAX_PATH_LEN];
  PetscInt64 N;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileOpen(comm, path, sf));
  PetscCall(UmbSamplesFileGetTable(*sf, t));
  PetscCall(UmbSamplesFileGetShape(*sf, UMB_SAMPLES_X, &N, n));
  PetscCheck((*t)->has_iact, comm, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset /windows/iact", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbSamplesFileMerge(MPI_Comm comm, const char prev[], const char add[], PetscInt round, const PetscInt64 continues[], PetscBool supersede, const char out[])
{
  UmbSamplesFile         P[2] = {NULL, NULL}, sf;
  const UmbSamplesTable *T[2] = {NULL, NULL};
  PetscInt               np = add ? 2 : 1, n[2] = {0, 0}, k0 = 0;
  UmbSamplesTable        m;
  PetscInt64            *counts, *flow, *by, row0 = 0, interval = 0;
  PetscInt               nsup = 0;
  PetscReal              scale = 0, mix = 0;
  PetscBool              anyflow = PETSC_FALSE;
  char                   path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  for (PetscInt i = 0; i < np; i++) PetscCall(OpenPart(comm, i ? add : prev, &P[i], &T[i], &n[i]));
  if (add) {
    const UmbSamplesTable *a = T[0], *b = T[1];
    PetscCheck(b->d == a->d && n[1] == n[0] && b->nwalkers == a->nwalkers && b->nframes == a->nframes && b->stride == a->stride && b->burnin == a->burnin && b->dt == a->dt, comm, PETSC_ERR_FILE_UNEXPECTED, "the new windows of %s/samples.h5 were sampled with other -us_* settings (walkers, steps, burn-in, stride or dt) than those of %s/samples.h5: they cannot be merged", add, prev);
  }
  /* the merged table: the previous one's settings and attributes, the windows of both */
  m   = *T[0];
  m.K = 0;
  m.N = 0;
  for (PetscInt i = 0; i < np; i++) {
    m.K += T[i]->K;
    m.N += T[i]->N;
  }
  PetscCall(PetscMalloc6(m.K * m.d, &m.center, m.K * m.d, &m.kappa, m.K, &m.iact, m.K + 1, &m.offset, m.K, &m.round, m.K, &counts));
  PetscCall(PetscMalloc2(3 * m.K, &flow, m.K, &by));
  /* superseded windows: those of earlier rounds, then those this round continued */
  for (PetscInt k = 0; k < m.K; k++) by[k] = k < T[0]->K ? T[0]->superseded_by[k] : -1;
  for (PetscInt j = 0; add && continues && supersede && j < T[1]->K; j++)
    if (continues[j] >= 0) {
      PetscCheck(continues[j] < T[0]->K, comm, PETSC_ERR_ARG_OUTOFRANGE, "window %" PetscInt_FMT " of %s continues window %" PetscInt64_FMT ", but %s/samples.h5 has %" PetscInt_FMT, j, add, continues[j], prev, T[0]->K);
      by[continues[j]] = T[0]->K + j;
    }
  for (PetscInt k = 0; k < m.K; k++)
    if (by[k] >= 0) nsup++;
  /* flow-move counts carried per window; the settings are those of the newest part with moves */
  for (PetscInt i = 0, kk = 0; i < np; kk += T[i]->K, i++) {
    PetscBool has;
    PetscCall(ReadFlowMoves(P[i], T[i]->K, flow + 3 * kk, &has, &interval, &scale, &mix));
    anyflow = (PetscBool)(anyflow || has);
  }
  m.offset[0] = 0;
  for (PetscInt i = 0; i < np; i++) {
    const UmbSamplesTable *t = T[i];
    for (PetscInt k = 0; k < t->K; k++) {
      for (PetscInt a = 0; a < m.d; a++) {
        m.center[(k0 + k) * m.d + a] = t->center[k * m.d + a];
        m.kappa[(k0 + k) * m.d + a]  = t->kappa[k * m.d + a];
      }
      m.iact[k0 + k]       = t->iact[k];
      m.round[k0 + k]      = t->has_round ? t->round[k] : i ? round : 0;
      counts[k0 + k]       = t->offset[k + 1] - t->offset[k];
      m.offset[k0 + k + 1] = m.offset[k0 + k] + counts[k0 + k];
    }
    k0 += t->K;
  }

  PetscCall(UmbPathJoin(out, "samples.h5", path, sizeof(path)));
  PetscCall(UmbSamplesFileCreate(comm, path, PETSC_FALSE, &sf));
  PetscCall(UmbSamplesFileCreateArrays(sf, m.N, n[0], m.d));
  for (PetscInt i = 0; i < np; i++) {
    PetscCall(CopyRows(P[i], sf, UMB_SAMPLES_X, n[0], T[i]->N, row0));
    PetscCall(CopyRows(P[i], sf, UMB_SAMPLES_Z, m.d, T[i]->N, row0));
    row0 += T[i]->N;
  }
  PetscCall(UmbSamplesFileWriteTable(sf, &m));
  PetscCall(UmbSamplesFileWriteWindowStats(sf, m.K, m.iact, counts));
  PetscCall(UmbSamplesFileWriteRounds(sf, m.K, m.round, round));
  if (anyflow) PetscCall(UmbSamplesFileWriteFlowMoves(sf, m.K, flow, interval, scale, mix));
  if (nsup) PetscCall(UmbSamplesFileWriteSuperseded(sf, m.K, by));
  PetscCall(UmbSamplesFileClose(&sf, PETSC_TRUE));
  PetscCall(UmbPathJoin(out, "windows.csv", path, sizeof(path)));
  PetscCall(UmbSamplesFileWriteWindowsCsv(comm, path, &m, anyflow ? flow : NULL));
  PetscCall(UmbLog(comm, "coupling round %" PetscInt_FMT ": wrote %s/samples.h5: %" PetscInt_FMT " windows (%" PetscInt_FMT " new, appended), %" PetscInt64_FMT " samples", round, out, m.K, m.K - T[0]->K, m.N));
  if (nsup) PetscCall(UmbLog(comm, "coupling round %" PetscInt_FMT ": %" PetscInt_FMT " windows superseded by their continuations (kept in samples.h5, left out of fes and the closures): %" PetscInt_FMT " windows pooled", round, nsup, m.K - nsup));
  PetscCall(PetscFree6(m.center, m.kappa, m.iact, m.offset, m.round, counts));
  PetscCall(PetscFree2(flow, by));
  for (PetscInt i = 0; i < np; i++) PetscCall(UmbSamplesFileClose(&P[i], PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
