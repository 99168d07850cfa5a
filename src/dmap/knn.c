/* Distributed neighbour search of a diffusion map.

   Every rank holds a contiguous block of the points. The blocks travel around the ranks in a
   ring (P rounds; round 0 is the rank's own block, and the next block is received while the
   current one is searched), so no rank ever holds more than two blocks and no N x N array is
   formed. Within a round the visiting block is binned on a uniform grid in its projection onto
   the two leading principal axes of all points (a projection onto orthonormal axes never
   lengthens a distance), and each local point visits the cells in rings of growing distance
   until the nearest unvisited cell is farther than its current search radius: the k-th
   candidate distance so far (kNN kernel) or cutoff * sqrt(eps). Every candidate's squared
   distance is computed exactly by UmbDmapDist2, the function the out-of-sample extension uses.

   kNN kernel: each point keeps its k + 4 nearest candidates ordered by (distance, global
   position), a total order, so the result does not depend on the visiting order or the rank
   count; rho_i is the distance of its k-th nearest point (the point itself counts, at 0), and
   the graph is the union i ~ j iff d_ij <= max(rho_i, rho_j): each rank sends the reverse
   edges to their owners. Cut-off kernel: i ~ j iff d_ij^2 <= cutoff^2 eps, symmetric as it is.
   Afterwards the connected components are counted (union-find within each rank, then label
   propagation over the edges between ranks). */
#include <umbra/private/dmapimpl.h>

#define UMB_DMAP_KNN_EXTRA 4

typedef struct {
  PetscInt   m, pd;        /* points, projection dimension (1 or 2) */
  PetscReal  x0, y0, h;    /* grid origin and cell size */
  PetscInt   nx, ny;
  PetscInt  *start, *perm; /* cell c holds perm[start[c] .. start[c+1]-1] */
} Grid;

/* Leading principal axes (orthonormal, pd = min(n, 2) of them) of all points, by subspace
   iteration on the covariance; only their orthonormality matters for correctness. */
static PetscErrorCode Axes(UmbDmap dm, PetscReal *mean, PetscReal *axes, PetscInt *pdp)
{
  const PetscInt n = dm->n, pd = PetscMin(n, 2);
  PetscReal     *C, *Cg, *V, *W;

  PetscFunctionBegin;
  PetscCall(PetscCalloc4(n * n, &C, n * n, &Cg, 2 * n, &V, 2 * n, &W));
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt a = 0; a < n; a++) V[a] += dm->x[i * n + a];
  PetscCallMPI(MPI_Allreduce(V, mean, (PetscMPIInt)n, MPIU_REAL, MPI_SUM, dm->comm));
  for (PetscInt a = 0; a < n; a++) mean[a] /= (PetscReal)dm->N;
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt a = 0; a < n; a++)
      for (PetscInt b = 0; b <= a; b++) C[a * n + b] += (dm->x[i * n + a] - mean[a]) * (dm->x[i * n + b] - mean[b]);
  PetscCallMPI(MPI_Allreduce(C, Cg, (PetscMPIInt)(n * n), MPIU_REAL, MPI_SUM, dm->comm));
  for (PetscInt a = 0; a < n; a++)
    for (PetscInt b = a + 1; b < n; b++) Cg[a * n + b] = Cg[b * n + a];
  for (PetscInt c = 0; c < pd; c++)
    for (PetscInt a = 0; a < n; a++) V[c * n + a] = (c == 0 ? 1.0 : ((a % 2) ? -1.0 : 1.0)) + 0.01 * (PetscReal)a;
  for (PetscInt it = 0; it < 60; it++) {
    for (PetscInt c = 0; c < pd; c++)
      for (PetscInt a = 0; a < n; a++) {
        PetscReal s = 0;
        for (PetscInt b = 0; b < n; b++) s += Cg[a * n + b] * V[c * n + b];
        W[c * n + a] = s + 1e-300 * V[c * n + a];
      }
    /* modified Gram-Schmidt, twice */
    for (PetscInt pass = 0; pass < 2; pass++)
      for (PetscInt c = 0; c < pd; c++) {
        PetscReal nrm = 0;
        for (PetscInt e = 0; e < c; e++) {
          PetscReal dot = 0;
          for (PetscInt a = 0; a < n; a++) dot += W[c * n + a] * W[e * n + a];
          for (PetscInt a = 0; a < n; a++) W[c * n + a] -= dot * W[e * n + a];
        }
        for (PetscInt a = 0; a < n; a++) nrm += W[c * n + a] * W[c * n + a];
        nrm = PetscSqrtReal(nrm);
        if (!(nrm > 0)) { /* degenerate data: any orthonormal axis will do */
          for (PetscInt a = 0; a < n; a++) W[c * n + a] = (a == c) ? 1 : 0;
          nrm = 1;
          for (PetscInt e = 0; e < c; e++) {
            PetscReal dot = W[e * n + c];
            for (PetscInt a = 0; a < n; a++) W[c * n + a] -= dot * W[e * n + a];
            nrm = 0;
            for (PetscInt a = 0; a < n; a++) nrm += W[c * n + a] * W[c * n + a];
            nrm = PetscSqrtReal(nrm);
          }
        }
        for (PetscInt a = 0; a < n; a++) W[c * n + a] /= nrm;
      }
    PetscCall(PetscArraycpy(V, W, pd * n));
  }
  PetscCall(PetscArraycpy(axes, V, pd * n));
  *pdp = pd;
  PetscCall(PetscFree4(C, Cg, V, W));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void Project(PetscInt m, PetscInt n, PetscInt pd, const PetscReal *x, const PetscReal *mean, const PetscReal *axes, PetscReal *p)
{
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt c = 0; c < 2; c++) {
      PetscReal s = 0;
      if (c < pd)
        for (PetscInt a = 0; a < n; a++) s += (x[i * n + a] - mean[a]) * axes[c * n + a];
      p[2 * i + c] = s;
    }
}

static PetscErrorCode GridBin(Grid *G, const PetscReal *p, PetscReal h, PetscReal xmax, PetscReal ymax, PetscInt *occupied)
{
  PetscInt nc;

  PetscFunctionBegin;
  G->h  = h;
  G->nx = (PetscInt)PetscMin((xmax - G->x0) / h + 1, 1e7);
  G->ny = G->pd > 1 ? (PetscInt)PetscMin((ymax - G->y0) / h + 1, 1e7) : 1;
  G->nx = PetscMax(G->nx, 1);
  G->ny = PetscMax(G->ny, 1);
  nc    = G->nx * G->ny;
  PetscCall(PetscFree(G->start));
  PetscCall(PetscCalloc1(nc + 1, &G->start));
  for (PetscInt i = 0; i < G->m; i++) {
    PetscInt cx = PetscMin(G->nx - 1, (PetscInt)((p[2 * i] - G->x0) / h)), cy = G->pd > 1 ? PetscMin(G->ny - 1, (PetscInt)((p[2 * i + 1] - G->y0) / h)) : 0;
    G->start[cx * G->ny + cy + 1]++;
  }
  *occupied = 0;
  for (PetscInt c = 0; c < nc; c++) {
    if (G->start[c + 1]) (*occupied)++;
    G->start[c + 1] += G->start[c];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Bins a block on a grid with about `target` points per occupied cell (kNN: target = k) or with
   cells of size hfix (cut-off), limited to 4 m + 16 cells */
static PetscErrorCode GridBuild(Grid *G, PetscInt m, PetscInt pd, const PetscReal *p, PetscInt target, PetscReal hfix)
{
  PetscReal xmax = PETSC_MIN_REAL, ymax = PETSC_MIN_REAL, ext, h;
  PetscInt  occ, *fill;
  PetscInt  maxcells = 4 * m + 16;

  PetscFunctionBegin;
  G->m  = m;
  G->pd = pd;
  G->x0 = G->y0 = PETSC_MAX_REAL;
  for (PetscInt i = 0; i < m; i++) {
    G->x0 = PetscMin(G->x0, p[2 * i]);
    G->y0 = PetscMin(G->y0, p[2 * i + 1]);
    xmax  = PetscMax(xmax, p[2 * i]);
    ymax  = PetscMax(ymax, p[2 * i + 1]);
  }
  if (!m) G->x0 = G->y0 = xmax = ymax = 0;
  ext = PetscMax(xmax - G->x0, pd > 1 ? ymax - G->y0 : 0);
  if (!(ext > 0)) ext = 1;
  if (hfix > 0) h = hfix;
  else h = pd > 1 ? ext * PetscSqrtReal((PetscReal)target / (PetscReal)PetscMax(m, 1)) : ext * (PetscReal)target / (PetscReal)PetscMax(m, 1);
  h = PetscMax(h, ext * 1e-6);
  for (;;) { /* no more cells than 4 m + 16 */
    PetscReal cells = ((xmax - G->x0) / h + 1) * (pd > 1 ? (ymax - G->y0) / h + 1 : 1);
    if (cells <= (PetscReal)maxcells) break;
    h *= 1.5;
  }
  G->start = NULL;
  PetscCall(GridBin(G, p, h, xmax, ymax, &occ));
  if (hfix <= 0) /* aim at target points per occupied cell */
    for (PetscInt it = 0; it < 12; it++) {
      PetscReal mean = (PetscReal)m / (PetscReal)PetscMax(occ, 1), f;
      if (mean <= 2.0 * target && mean >= 0.25 * target) break;
      f = mean > 2.0 * target ? 0.5 : 2.0;
      if (f < 1 && ((xmax - G->x0) / (h * f) + 1) * (pd > 1 ? (ymax - G->y0) / (h * f) + 1 : 1) > (PetscReal)maxcells) break;
      PetscCall(GridBin(G, p, h * f, xmax, ymax, &occ));
      h *= f;
    }
  PetscCall(PetscMalloc1(m + 1, &G->perm));
  PetscCall(PetscMalloc1(G->nx * G->ny + 1, &fill));
  PetscCall(PetscArraycpy(fill, G->start, G->nx * G->ny));
  for (PetscInt i = 0; i < m; i++) {
    PetscInt cx = PetscMin(G->nx - 1, (PetscInt)((p[2 * i] - G->x0) / G->h)), cy = pd > 1 ? PetscMin(G->ny - 1, (PetscInt)((p[2 * i + 1] - G->y0) / G->h)) : 0;
    G->perm[fill[cx * G->ny + cy]++] = i;
  }
  PetscCall(PetscFree(fill));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode GridDestroy(Grid *G)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(G->start));
  PetscCall(PetscFree(G->perm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* (d2, col) lexicographic comparison */
static inline int Less(PetscReal d1, PetscInt64 c1, PetscReal d2, PetscInt64 c2) { return d1 < d2 || (d1 == d2 && c1 < c2); }

/* max-heap of size cnt on (d2, col) */
static inline void HeapPush(PetscReal *hd, PetscInt64 *hc, PetscInt *cnt, PetscInt cap, PetscReal d, PetscInt64 c)
{
  PetscInt i;
  if (*cnt < cap) {
    i = (*cnt)++;
    while (i > 0) {
      PetscInt p = (i - 1) / 2;
      if (!Less(hd[p], hc[p], d, c)) break;
      hd[i] = hd[p];
      hc[i] = hc[p];
      i     = p;
    }
    hd[i] = d;
    hc[i] = c;
    return;
  }
  if (!Less(d, c, hd[0], hc[0])) return;
  i = 0; /* replace the top and sift down */
  for (;;) {
    PetscInt l = 2 * i + 1, r = l + 1, b = i;
    PetscReal bd = d;
    PetscInt64 bc = c;
    if (l < cap && Less(bd, bc, hd[l], hc[l])) {
      b  = l;
      bd = hd[l];
      bc = hc[l];
    }
    if (r < cap && Less(bd, bc, hd[r], hc[r])) b = r;
    if (b == i) break;
    hd[i] = hd[b];
    hc[i] = hc[b];
    i     = b;
  }
  hd[i] = d;
  hc[i] = c;
}

typedef struct {
  PetscInt64 *row; /* cut-off kernel: collected pairs (local row, global col, d2) */
  PetscInt64 *col;
  PetscReal  *d2;
  PetscInt64  cnt, cap;
} Pairs;

static PetscErrorCode PairsAdd(Pairs *P, PetscInt64 r, PetscInt64 c, PetscReal d2)
{
  PetscFunctionBegin;
  if (P->cnt == P->cap) {
    PetscInt64  cap = PetscMax(2 * P->cap, 1024);
    PetscInt64 *nr, *nc;
    PetscReal  *nd;
    PetscCall(PetscMalloc3(cap, &nr, cap, &nc, cap, &nd));
    if (P->cnt) {
      PetscCall(PetscArraycpy(nr, P->row, P->cnt));
      PetscCall(PetscArraycpy(nc, P->col, P->cnt));
      PetscCall(PetscArraycpy(nd, P->d2, P->cnt));
    }
    PetscCall(PetscFree3(P->row, P->col, P->d2));
    P->row = nr;
    P->col = nc;
    P->d2  = nd;
    P->cap = cap;
  }
  P->row[P->cnt] = r;
  P->col[P->cnt] = c;
  P->d2[P->cnt]  = d2;
  P->cnt++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sort the (col, d2) pairs of one row by col (Shell sort with Ciura's gaps; rows are short) */
static PetscErrorCode SortRow(PetscInt len, PetscInt64 *col, PetscReal *d2)
{
  static const PetscInt gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};

  PetscFunctionBegin;
  for (PetscInt gi = 0; gi < 8; gi++) {
    PetscInt gap = gaps[gi];
    for (PetscInt i = gap; i < len; i++) {
      PetscInt64 c = col[i];
      PetscReal  d = d2[i];
      PetscInt   j = i;
      for (; j >= gap && col[j - gap] > c; j -= gap) {
        col[j] = col[j - gap];
        d2[j]  = d2[j - gap];
      }
      col[j] = c;
      d2[j]  = d;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The cell of a projected point in G (clamped to the grid) */
static inline PetscInt QueryCell(const Grid *G, const PetscReal *p)
{
  PetscInt cx = (PetscInt)PetscFloorReal((p[0] - G->x0) / G->h), cy = G->pd > 1 ? (PetscInt)PetscFloorReal((p[1] - G->y0) / G->h) : 0;
  cx = PetscMax(0, PetscMin(G->nx - 1, cx));
  cy = PetscMax(0, PetscMin(G->ny - 1, cy));
  return cx * G->ny + cy;
}

/* One round: the local points query the visiting block (m points at global positions from
   gstart). xs holds the block's points in the grid's cell order (row t of xs is point perm[t]),
   so that a cell's points lie together in memory; the local points query in the order of their
   own cells, so that consecutive queries read the same cells. Neither order changes a result:
   every query is independent and its candidates are ranked by (distance, global position).
   kNN: heaps; cut-off: pairs. */
static PetscErrorCode SearchBlock(UmbDmap dm, const Grid *G, const PetscReal *xs, const PetscReal *pv, PetscInt64 gstart, const PetscReal *ploc, PetscInt kk, PetscReal *hd, PetscInt64 *hc, PetscInt *hcnt, Pairs *pairs, PetscInt *rowcnt, UmbProgress prog, PetscInt round)
{
  const PetscInt  n = dm->n, nx = G->nx, ny = G->ny;
  const PetscBool knn = (PetscBool)(dm->cutoff <= 0);
  const PetscReal rc2 = knn ? 0 : dm->cutoff * dm->cutoff * dm->eps, h = G->h;

  PetscInt       *order, *cstart;

  PetscFunctionBegin;
  if (!G->m) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc2(dm->nloc + 1, &order, nx * ny + 1, &cstart));
  PetscCall(PetscArrayzero(cstart, nx * ny + 1));
  for (PetscInt i = 0; i < dm->nloc; i++) cstart[QueryCell(G, ploc + 2 * i) + 1]++;
  for (PetscInt c = 0; c < nx * ny; c++) cstart[c + 1] += cstart[c];
  for (PetscInt i = 0; i < dm->nloc; i++) order[cstart[QueryCell(G, ploc + 2 * i)]++] = i;
  for (PetscInt oi = 0; oi < dm->nloc; oi++) {
    const PetscInt   i  = order[oi];
    const PetscReal *xi = dm->x + i * n;
    const PetscReal  px = ploc[2 * i], py = ploc[2 * i + 1];
    PetscReal       *rd = hd ? hd + (size_t)i * kk : NULL;
    PetscInt64      *rc = hc ? hc + (size_t)i * kk : NULL;
    PetscReal        R2 = knn ? (hcnt[i] == kk ? rd[0] : PETSC_MAX_REAL) : rc2;
    PetscInt         cx = (PetscInt)PetscFloorReal((px - G->x0) / h), cy = G->pd > 1 ? (PetscInt)PetscFloorReal((py - G->y0) / h) : 0;
    PetscInt         maxring;

    cx      = PetscMax(0, PetscMin(nx - 1, cx));
    cy      = PetscMax(0, PetscMin(ny - 1, cy));
    maxring = PetscMax(PetscMax(cx, nx - 1 - cx), PetscMax(cy, ny - 1 - cy));
    for (PetscInt ring = 0; ring <= maxring; ring++) {
      if (ring >= 1) {
        PetscReal lb = (PetscReal)(ring - 1) * h;
        if (lb * lb > R2 * (1 + 1e-12)) break;
      }
      for (PetscInt ix = PetscMax(0, cx - ring); ix <= PetscMin(nx - 1, cx + ring); ix++) {
        PetscInt step = (ix == cx - ring || ix == cx + ring) ? 1 : 2 * ring;
        for (PetscInt iy = cy - ring; iy <= cy + ring; iy += PetscMax(step, 1)) {
          PetscReal dx, dy, cellx0, celly0;
          PetscInt  c;
          if (iy < 0 || iy >= ny) continue;
          cellx0 = G->x0 + (PetscReal)ix * h;
          celly0 = G->y0 + (PetscReal)iy * h;
          dx     = PetscMax(0, PetscMax(cellx0 - px, px - (cellx0 + h)));
          dy     = G->pd > 1 ? PetscMax(0, PetscMax(celly0 - py, py - (celly0 + h))) : 0;
          /* the grid's first and last cells also hold points beyond their nominal bounds (rounding) */
          if (ix == 0 || ix == nx - 1) dx = 0;
          if (iy == 0 || iy == ny - 1) dy = 0;
          if (dx * dx + dy * dy > R2 * (1 + 1e-12)) continue;
          c = ix * ny + iy;
          for (PetscInt t = G->start[c]; t < G->start[c + 1]; t++) {
            PetscReal  d2 = UmbDmapDist2(n, xi, xs + (size_t)t * n);
            PetscInt64 gj = gstart + G->perm[t];
            if (knn) {
              if (hcnt[i] < kk || Less(d2, gj, rd[0], rc[0])) {
                HeapPush(rd, rc, &hcnt[i], kk, d2, gj);
                if (hcnt[i] == kk) R2 = rd[0];
              }
            } else if (d2 <= rc2) {
              if (rowcnt[i] < dm->max_neighbors) PetscCall(PairsAdd(pairs, i, gj, d2));
              rowcnt[i]++;
            }
          }
        }
      }
    }
    if ((oi & 255) == 255 && prog) PetscCall(UmbProgressUpdate(prog, (double)round * dm->nloc + oi));
  }
  PetscCall(PetscFree2(order, cstart));
  (void)pv;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* kNN: the union of the directed neighbour lists. Each rank sends (j, i, d2) for its edges
   i -> j with j elsewhere to j's owner and merges what it receives. */
static PetscErrorCode Symmetrise(UmbDmap dm, PetscInt *off, PetscInt64 *col, PetscReal *d2)
{
  PetscMPIInt *scount, *rcount, *sdisp, *rdisp, *scount3, *rcount3, *sdisp3, *rdisp3;
  PetscInt64  *sbuf, *rbuf, nsend = 0, nrecv = 0;
  PetscReal   *sd, *rd;
  PetscInt    *len, *noff;
  PetscInt64  *ncol;
  PetscReal   *nd2;
  const PetscInt64 r0 = dm->rstart, r1 = dm->rstart + dm->nloc;

  PetscFunctionBegin;
  PetscCall(PetscCalloc4(dm->size, &scount, dm->size, &rcount, dm->size + 1, &sdisp, dm->size + 1, &rdisp));
  PetscCall(PetscCalloc4(dm->size, &scount3, dm->size, &rcount3, dm->size + 1, &sdisp3, dm->size + 1, &rdisp3));
  PetscCall(PetscCalloc1(dm->nloc + 1, &len));
  for (PetscInt i = 0; i < dm->nloc; i++) len[i] = off[i + 1] - off[i];
  /* count: local reverse edges go straight into len, remote ones into scount */
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt t = off[i]; t < off[i + 1]; t++) {
      PetscInt64 j = col[t];
      if (j == r0 + i) continue;
      if (j >= r0 && j < r1) len[j - r0]++;
      else {
        PetscMPIInt owner;
        PetscInt    lo = 0, hi = dm->size - 1;
        while (lo < hi) { /* last rank whose start <= j */
          PetscInt mid = (lo + hi + 1) / 2;
          if (dm->starts[mid] <= j) lo = mid;
          else hi = mid - 1;
        }
        owner = (PetscMPIInt)lo;
        scount[owner]++;
      }
    }
  PetscCallMPI(MPI_Alltoall(scount, 1, MPI_INT, rcount, 1, MPI_INT, dm->comm));
  for (PetscMPIInt r = 0; r < dm->size; r++) {
    sdisp[r + 1] = sdisp[r] + scount[r];
    rdisp[r + 1] = rdisp[r] + rcount[r];
    scount3[r]   = 2 * scount[r];
    rcount3[r]   = 2 * rcount[r];
    sdisp3[r + 1] = sdisp3[r] + scount3[r];
    rdisp3[r + 1] = rdisp3[r] + rcount3[r];
  }
  nsend = sdisp[dm->size];
  nrecv = rdisp[dm->size];
  PetscCall(PetscMalloc4(2 * nsend + 1, &sbuf, 2 * nrecv + 1, &rbuf, nsend + 1, &sd, nrecv + 1, &rd));
  {
    PetscMPIInt *fill;
    PetscCall(PetscMalloc1(dm->size, &fill));
    for (PetscMPIInt r = 0; r < dm->size; r++) fill[r] = sdisp[r];
    for (PetscInt i = 0; i < dm->nloc; i++)
      for (PetscInt t = off[i]; t < off[i + 1]; t++) {
        PetscInt64 j = col[t];
        if (j >= r0 && j < r1) continue;
        {
          PetscInt lo = 0, hi = dm->size - 1;
          while (lo < hi) {
            PetscInt mid = (lo + hi + 1) / 2;
            if (dm->starts[mid] <= j) lo = mid;
            else hi = mid - 1;
          }
          sbuf[2 * fill[lo]]     = j;
          sbuf[2 * fill[lo] + 1] = r0 + i;
          sd[fill[lo]]           = d2[t];
          fill[lo]++;
        }
      }
    PetscCall(PetscFree(fill));
  }
  PetscCallMPI(MPI_Alltoallv(sbuf, scount3, sdisp3, MPIU_INT64, rbuf, rcount3, rdisp3, MPIU_INT64, dm->comm));
  PetscCallMPI(MPI_Alltoallv(sd, scount, sdisp, MPIU_REAL, rd, rcount, rdisp, MPIU_REAL, dm->comm));
  for (PetscInt64 t = 0; t < nrecv; t++) len[rbuf[2 * t] - r0]++;
  /* merged lists */
  PetscCall(PetscMalloc1(dm->nloc + 1, &noff));
  noff[0] = 0;
  for (PetscInt i = 0; i < dm->nloc; i++) noff[i + 1] = noff[i] + len[i];
  PetscCall(PetscMalloc2(noff[dm->nloc] + 1, &ncol, noff[dm->nloc] + 1, &nd2));
  for (PetscInt i = 0; i < dm->nloc; i++) len[i] = noff[i];
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt t = off[i]; t < off[i + 1]; t++) {
      ncol[len[i]]  = col[t];
      nd2[len[i]++] = d2[t];
    }
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt t = off[i]; t < off[i + 1]; t++) {
      PetscInt64 j = col[t];
      if (j == r0 + i || j < r0 || j >= r1) continue;
      ncol[len[j - r0]]  = r0 + i;
      nd2[len[j - r0]++] = d2[t];
    }
  for (PetscInt64 t = 0; t < nrecv; t++) {
    PetscInt li = (PetscInt)(rbuf[2 * t] - r0);
    ncol[len[li]]  = rbuf[2 * t + 1];
    nd2[len[li]++] = rd[t];
  }
  /* sort each row by column and drop duplicates */
  {
    PetscInt w = 0;
    for (PetscInt i = 0; i < dm->nloc; i++) {
      PetscInt b = noff[i], e = noff[i + 1], start = w;
      PetscCall(SortRow(e - b, ncol + b, nd2 + b));
      for (PetscInt t = b; t < e; t++) {
        if (t > b && ncol[t] == ncol[t - 1]) continue;
        ncol[w]  = ncol[t];
        nd2[w++] = nd2[t];
      }
      noff[i] = start;
    }
    noff[dm->nloc] = w;
  }
  PetscCall(PetscFree(dm->nbr_off));
  PetscCall(PetscFree(dm->nbr_col));
  PetscCall(PetscFree(dm->nbr_d2));
  PetscCall(PetscMalloc1(dm->nloc + 1, &dm->nbr_off));
  PetscCall(PetscMalloc1(noff[dm->nloc] + 1, &dm->nbr_col));
  PetscCall(PetscMalloc1(noff[dm->nloc] + 1, &dm->nbr_d2));
  PetscCall(PetscArraycpy(dm->nbr_off, noff, dm->nloc + 1));
  PetscCall(PetscArraycpy(dm->nbr_col, ncol, noff[dm->nloc]));
  PetscCall(PetscArraycpy(dm->nbr_d2, nd2, noff[dm->nloc]));
  PetscCall(PetscFree2(ncol, nd2));
  PetscCall(PetscFree(noff));
  PetscCall(PetscFree4(sbuf, rbuf, sd, rd));
  PetscCall(PetscFree(len));
  PetscCall(PetscFree4(scount, rcount, sdisp, rdisp));
  PetscCall(PetscFree4(scount3, rcount3, sdisp3, rdisp3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbDmapNeighbours(UmbDmap dm)
{
  const PetscInt  n   = dm->n;
  const PetscBool knn = (PetscBool)(dm->cutoff <= 0);
  PetscInt        kk  = 0, pd = 0, maxloc = 0, *hcnt = NULL, *rowcnt = NULL;
  PetscReal      *mean, *axes, *ploc, *pvis, *buf[2], *xs, *hd = NULL;
  PetscInt64     *hc = NULL;
  Pairs           pairs = {NULL, NULL, NULL, 0, 0};
  UmbProgress     prog;
  PetscMPIInt     next = (dm->rank + 1) % dm->size, prev = (dm->rank + dm->size - 1) % dm->size;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_knn, 0, 0, 0, 0));
  for (PetscMPIInt r = 0; r < dm->size; r++) maxloc = PetscMax(maxloc, dm->counts[r]);
  PetscCall(PetscMalloc2(n, &mean, 2 * n, &axes));
  PetscCall(Axes(dm, mean, axes, &pd));
  PetscCall(PetscMalloc4(2 * dm->nloc + 2, &ploc, 2 * maxloc + 2, &pvis, (size_t)maxloc * n + 1, &buf[0], (size_t)maxloc * n + 1, &buf[1]));
  PetscCall(PetscMalloc1((size_t)maxloc * n + 1, &xs));
  Project(dm->nloc, n, pd, dm->x, mean, axes, ploc);
  if (knn) {
    kk = (PetscInt)PetscMin((PetscInt64)dm->k + UMB_DMAP_KNN_EXTRA, dm->N);
    PetscCall(PetscMalloc3((size_t)dm->nloc * kk + 1, &hd, (size_t)dm->nloc * kk + 1, &hc, dm->nloc + 1, &hcnt));
    PetscCall(PetscArrayzero(hcnt, dm->nloc + 1));
  } else PetscCall(PetscCalloc1(dm->nloc + 1, &rowcnt));
  PetscCall(PetscArraycpy(buf[0], dm->x, (size_t)dm->nloc * n));
  PetscCall(UmbProgressCreate(dm->comm, "dmap neighbours", "queries", (double)dm->size * dm->nloc, &prog));
  for (PetscInt round = 0; round < dm->size; round++) {
    PetscMPIInt owner = (PetscMPIInt)((dm->rank - round + dm->size) % dm->size), nowner = (PetscMPIInt)((dm->rank - round - 1 + 2 * dm->size) % dm->size);
    PetscInt    m = dm->counts[owner];
    MPI_Request req[2];
    Grid        G;

    /* pass the block on while searching it */
    if (round + 1 < dm->size) {
      PetscCallMPI(MPI_Irecv(buf[1], (PetscMPIInt)(dm->counts[nowner] * n), MPIU_REAL, prev, 77, dm->comm, &req[0]));
      PetscCallMPI(MPI_Isend(buf[0], (PetscMPIInt)(m * n), MPIU_REAL, next, 77, dm->comm, &req[1]));
    }
    Project(m, n, pd, buf[0], mean, axes, pvis);
    PetscCall(GridBuild(&G, m, pd, pvis, knn ? dm->k : 0, knn ? 0 : dm->cutoff * PetscSqrtReal(dm->eps)));
    for (PetscInt t = 0; t < m; t++) PetscCall(PetscArraycpy(xs + (size_t)t * n, buf[0] + (size_t)G.perm[t] * n, n));
    PetscCall(SearchBlock(dm, &G, xs, pvis, dm->starts[owner], ploc, kk, hd, hc, hcnt, &pairs, rowcnt, prog, round));
    PetscCall(GridDestroy(&G));
    if (round + 1 < dm->size) {
      PetscReal *t;
      PetscCallMPI(MPI_Waitall(2, req, MPI_STATUSES_IGNORE));
      t      = buf[0];
      buf[0] = buf[1];
      buf[1] = t;
    }
  }
  PetscCall(UmbProgressFinish(prog));
  PetscCall(UmbProgressDestroy(&prog));

  if (knn) {
    PetscInt   *off;
    PetscInt64 *col;
    PetscReal  *d2, tmax = 0, tsum = 0, g[2];

    PetscCall(PetscFree(dm->rho2));
    PetscCall(PetscMalloc1(dm->nloc + 1, &dm->rho2));
    PetscCall(PetscMalloc1(dm->nloc + 1, &off));
    PetscCall(PetscMalloc2((size_t)dm->nloc * kk + 1, &col, (size_t)dm->nloc * kk + 1, &d2));
    off[0] = 0;
    for (PetscInt i = 0; i < dm->nloc; i++) {
      PetscReal  *rd = hd + (size_t)i * kk;
      PetscInt64 *rc = hc + (size_t)i * kk;
      PetscInt    c  = hcnt[i], keep = 0;
      /* sort the candidates by (d2, col): insertion sort, kk is small */
      for (PetscInt a = 1; a < c; a++) {
        PetscReal  vd = rd[a];
        PetscInt64 vc = rc[a];
        PetscInt   b  = a - 1;
        while (b >= 0 && Less(vd, vc, rd[b], rc[b])) {
          rd[b + 1] = rd[b];
          rc[b + 1] = rc[b];
          b--;
        }
        rd[b + 1] = vd;
        rc[b + 1] = vc;
      }
      dm->rho2[i] = rd[PetscMin(dm->k, c) - 1];
      for (PetscInt a = 0; a < c; a++)
        if (rd[a] <= dm->rho2[i]) {
          col[off[i] + keep] = rc[a];
          d2[off[i] + keep]  = rd[a];
          keep++;
        }
      PetscCall(SortRow(keep, col + off[i], d2 + off[i]));
      off[i + 1] = off[i] + keep;
    }
    PetscCall(Symmetrise(dm, off, col, d2));
    PetscCall(PetscFree(off));
    PetscCall(PetscFree2(col, d2));
    /* the kernel value at the k-th neighbour: how much the kNN graph truncates the Gaussian */
    for (PetscInt i = 0; i < dm->nloc; i++) {
      PetscReal kv = PetscExpReal(-dm->rho2[i] / dm->eps);
      tmax         = PetscMax(tmax, kv);
      tsum += kv;
    }
    PetscCallMPI(MPI_Allreduce(&tmax, &g[0], 1, MPIU_REAL, MPI_MAX, dm->comm));
    PetscCallMPI(MPI_Allreduce(&tsum, &g[1], 1, MPIU_REAL, MPI_SUM, dm->comm));
    dm->kmax_trunc = g[0];
    dm->kmed_trunc = g[1] / (PetscReal)dm->N;
  } else {
    PetscInt64 worst = 0, gworst, wrow = -1, gwrow;
    for (PetscInt i = 0; i < dm->nloc; i++)
      if (rowcnt[i] > worst) {
        worst = rowcnt[i];
        wrow  = dm->index[i];
      }
    PetscCallMPI(MPI_Allreduce(&worst, &gworst, 1, MPIU_INT64, MPI_MAX, dm->comm));
    if (worst != gworst) wrow = -1;
    PetscCallMPI(MPI_Allreduce(&wrow, &gwrow, 1, MPIU_INT64, MPI_MAX, dm->comm));
    if (gworst > dm->max_neighbors) {
      PetscCall(PetscFree3(pairs.row, pairs.col, pairs.d2));
      PetscCall(PetscFree(rowcnt));
      PetscCall(PetscFree4(ploc, pvis, buf[0], buf[1]));
      PetscCall(PetscFree(xs));
      PetscCall(PetscFree2(mean, axes));
      PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_knn, 0, 0, 0, 0));
      SETERRQ(dm->comm, PETSC_ERR_USER_INPUT, "the cut-off radius %.6g sqrt(eps) = %.6g holds %" PetscInt64_FMT " neighbours of sample %" PetscInt64_FMT ", more than -dmap_max_neighbors %" PetscInt_FMT ": lower -dmap_cutoff or -dmap_eps, use the kNN kernel (-dmap_cutoff 0), map a subsample (-dmap_points), or raise -dmap_max_neighbors", (double)dm->cutoff, (double)(dm->cutoff * PetscSqrtReal(dm->eps)), gworst, gwrow, dm->max_neighbors);
    }
    PetscCall(PetscFree(dm->nbr_off));
    PetscCall(PetscFree(dm->nbr_col));
    PetscCall(PetscFree(dm->nbr_d2));
    PetscCall(PetscCalloc1(dm->nloc + 1, &dm->nbr_off));
    PetscCall(PetscMalloc1(pairs.cnt + 1, &dm->nbr_col));
    PetscCall(PetscMalloc1(pairs.cnt + 1, &dm->nbr_d2));
    for (PetscInt64 t = 0; t < pairs.cnt; t++) dm->nbr_off[pairs.row[t] + 1]++;
    for (PetscInt i = 0; i < dm->nloc; i++) dm->nbr_off[i + 1] += dm->nbr_off[i];
    for (PetscInt i = 0; i < dm->nloc; i++) rowcnt[i] = dm->nbr_off[i];
    for (PetscInt64 t = 0; t < pairs.cnt; t++) {
      PetscInt r = (PetscInt)pairs.row[t];
      dm->nbr_col[rowcnt[r]] = pairs.col[t];
      dm->nbr_d2[rowcnt[r]++] = pairs.d2[t];
    }
    for (PetscInt i = 0; i < dm->nloc; i++) PetscCall(SortRow(dm->nbr_off[i + 1] - dm->nbr_off[i], dm->nbr_col + dm->nbr_off[i], dm->nbr_d2 + dm->nbr_off[i]));
    PetscCall(PetscFree3(pairs.row, pairs.col, pairs.d2));
    PetscCall(PetscFree(rowcnt));
  }
  {
    PetscInt64 nnz = dm->nbr_off[dm->nloc];
    PetscCallMPI(MPI_Allreduce(&nnz, &dm->nnz, 1, MPIU_INT64, MPI_SUM, dm->comm));
  }
  PetscCall(PetscFree3(hd, hc, hcnt));
  PetscCall(PetscFree4(ploc, pvis, buf[0], buf[1]));
  PetscCall(PetscFree(xs));
  PetscCall(PetscFree2(mean, axes));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_knn, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Connected components of the graph restricted to edges with d2 <= d2max (PETSC_MAX_REAL: all) */
PetscErrorCode UmbDmapComponents(UmbDmap dm, PetscReal d2max, PetscInt64 *ncomp)
{
  const PetscInt64 r0 = dm->rstart, r1 = dm->rstart + dm->nloc;
  PetscInt        *parent, nghost = 0, *gpos = NULL;
  PetscInt64      *label, *ghostcol = NULL, local = 0;
  Vec              vl, vg;
  VecScatter       sct;
  IS               is;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(UMB_EVENT.dmap_comp, 0, 0, 0, 0));
  PetscCall(PetscMalloc2(dm->nloc + 1, &parent, dm->nloc + 1, &label));
  for (PetscInt i = 0; i < dm->nloc; i++) parent[i] = i;
  /* union-find on the edges inside this rank's block */
  for (PetscInt i = 0; i < dm->nloc; i++)
    for (PetscInt t = dm->nbr_off[i]; t < dm->nbr_off[i + 1]; t++) {
      PetscInt64 j = dm->nbr_col[t];
      PetscInt   a = i, b;
      if (j < r0 || j >= r1 || dm->nbr_d2[t] > d2max) continue;
      b = (PetscInt)(j - r0);
      while (parent[a] != a) a = parent[a] = parent[parent[a]];
      while (parent[b] != b) b = parent[b] = parent[parent[b]];
      if (a != b) parent[PetscMax(a, b)] = PetscMin(a, b);
    }
  for (PetscInt i = 0; i < dm->nloc; i++) {
    PetscInt a = i;
    while (parent[a] != a) a = parent[a];
    parent[i] = a; /* root = smallest local index of the component */
    label[i]  = r0 + a;
  }
  /* the remote ends of the edges between ranks */
  {
    PetscInt cnt = 0;
    for (PetscInt t = 0; t < dm->nbr_off[dm->nloc]; t++)
      if ((dm->nbr_col[t] < r0 || dm->nbr_col[t] >= r1) && dm->nbr_d2[t] <= d2max) cnt++;
    PetscCall(PetscMalloc2(cnt + 1, &ghostcol, cnt + 1, &gpos));
    for (PetscInt t = 0; t < dm->nbr_off[dm->nloc]; t++)
      if ((dm->nbr_col[t] < r0 || dm->nbr_col[t] >= r1) && dm->nbr_d2[t] <= d2max) ghostcol[nghost++] = dm->nbr_col[t];
    PetscCall(PetscSortInt64(nghost, ghostcol));
    {
      PetscInt u = 0;
      for (PetscInt g = 0; g < nghost; g++)
        if (!g || ghostcol[g] != ghostcol[u - 1]) ghostcol[u++] = ghostcol[g];
      nghost = u;
    }
  }
  {
    PetscInt *idx;
    PetscCall(PetscMalloc1(nghost + 1, &idx));
    for (PetscInt g = 0; g < nghost; g++) PetscCall(PetscIntCast(ghostcol[g], &idx[g]));
    PetscCall(ISCreateGeneral(PETSC_COMM_SELF, nghost, idx, PETSC_OWN_POINTER, &is));
  }
  PetscCall(VecCreateMPI(dm->comm, dm->nloc, PETSC_DETERMINE, &vl));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, nghost, &vg));
  PetscCall(VecScatterCreate(vl, is, vg, NULL, &sct));
  for (PetscInt it = 0;; it++) {
    PetscScalar       *a;
    const PetscScalar *gv;
    PetscInt           changed = 0, gchanged;

    PetscCall(VecGetArray(vl, &a));
    for (PetscInt i = 0; i < dm->nloc; i++) a[i] = (PetscScalar)label[parent[i]];
    PetscCall(VecRestoreArray(vl, &a));
    PetscCall(VecScatterBegin(sct, vl, vg, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(sct, vl, vg, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(vg, &gv));
    for (PetscInt i = 0; i < dm->nloc; i++)
      for (PetscInt t = dm->nbr_off[i]; t < dm->nbr_off[i + 1]; t++) {
        PetscInt64 j = dm->nbr_col[t], lj;
        PetscInt   lo = 0, hi = nghost - 1;
        if (j >= r0 && j < r1) continue;
        if (dm->nbr_d2[t] > d2max) continue;
        while (lo < hi) {
          PetscInt mid = (lo + hi) / 2;
          if (ghostcol[mid] < j) lo = mid + 1;
          else hi = mid;
        }
        lj = (PetscInt64)PetscRealPart(gv[lo]);
        if (lj < label[parent[i]]) {
          label[parent[i]] = lj;
          changed          = 1;
        }
      }
    PetscCall(VecRestoreArrayRead(vg, &gv));
    PetscCallMPI(MPI_Allreduce(&changed, &gchanged, 1, MPIU_INT, MPI_MAX, dm->comm));
    if (!gchanged) break;
  }
  for (PetscInt i = 0; i < dm->nloc; i++) local += label[parent[i]] == r0 + i;
  PetscCallMPI(MPI_Allreduce(&local, ncomp, 1, MPIU_INT64, MPI_SUM, dm->comm));
  PetscCall(VecScatterDestroy(&sct));
  PetscCall(VecDestroy(&vl));
  PetscCall(VecDestroy(&vg));
  PetscCall(ISDestroy(&is));
  PetscCall(PetscFree2(ghostcol, gpos));
  PetscCall(PetscFree2(parent, label));
  PetscCall(PetscLogEventEnd(UMB_EVENT.dmap_comp, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
