/* Internal coordinates of a molecule (a Z-matrix) whose CV components are dihedrals, so that a
   generator can model the coordinates of a level set {phi = z} as a flat space (docs/flow.md,
   "Molecules"). The atoms are placed one after another: the first at the origin, the second by
   a bond length on the x axis, the third by a bond length and an angle in the xy plane, every
   later atom i by the length of its bond to an earlier atom j, the angle i-j-k and the dihedral
   l-k-j-i. The CV's four atoms a-b-c-d come first (b, c, a, d): the dihedral of d is the CV.
   The others follow in the order of a minimum spanning tree of the reference structure's
   distances (Prim), so that j is a bonded neighbour; k is j's parent in the tree, and l a
   placed neighbour of j other than k (an improper-like dihedral, which is stiff) where one
   exists, else a neighbour of k: only the first atom on each rotatable bond gets a free
   dihedral. Dihedrals are taken within pi of their value in the reference structure, so
   stiff ones never wrap and a three-fold rotor wraps at a barrier. */
#include <umbra/private/generatorcommon.h>
#include <umbra/private/vec3.h>

/* the angle at j of i-j-k, in [0, pi] */
static PetscReal Angle(const PetscReal xi[3], const PetscReal xj[3], const PetscReal xk[3])
{
  PetscReal u[3], v[3], w[3];
  UmbSub3(xi, xj, u);
  UmbSub3(xk, xj, v);
  UmbCross3(u, v, w);
  return PetscAtan2Real(UmbNorm3(w), UmbDot3(u, v));
}

/* the dihedral a-b-c-d in (-pi, pi], the formula and sign of the dihedral CV (cv_dihedral.c) */
static PetscReal Dihedral(const PetscReal ra[3], const PetscReal rb[3], const PetscReal rc[3], const PetscReal rd[3])
{
  PetscReal F[3], G[3], H[3], A[3], B[3];
  UmbSub3(ra, rb, F);
  UmbSub3(rb, rc, G);
  UmbSub3(rd, rc, H);
  UmbCross3(F, G, A);
  UmbCross3(H, G, B);
  return PetscAtan2Real(-UmbNorm3(G) * UmbDot3(F, B), UmbDot3(A, B));
}

/* v moved by a multiple of 2 pi into [c - pi, c + pi) */
static inline PetscReal Wrap(PetscReal v, PetscReal c)
{
  return c + UmbMinimumImage(v - c, 2 * PETSC_PI);
}

/* index of position p's first internal coordinate: r of 1; r, theta of 2; r, theta, tau of 3.. */
static inline PetscInt Offset(PetscInt p)
{
  return p == 1 ? 0 : p == 2 ? 1 : 3 * p - 6;
}

/* position of internal coordinate i */
static inline PetscInt PositionOf(PetscInt i)
{
  return i == 0 ? 1 : i < 3 ? 2 : i / 3 + 2;
}

static const PetscReal *Pos(const PetscReal x[], const UmbZMatrix *zm, PetscInt p)
{
  return x + 3 * zm->atom[p];
}

/* all 3 N - 6 internal coordinates q of x (radians) */
static void Internal(const UmbZMatrix *zm, const PetscReal x[], PetscReal q[])
{
  for (PetscInt p = 1; p < zm->natoms; p++) {
    const PetscInt *r = zm->ref + 3 * p;
    PetscReal       u[3], *qp = q + Offset(p);
    UmbSub3(Pos(x, zm, p), Pos(x, zm, r[0]), u);
    qp[0] = UmbNorm3(u);
    if (p >= 2) qp[1] = Angle(Pos(x, zm, p), Pos(x, zm, r[0]), Pos(x, zm, r[1]));
    if (p >= 3) qp[2] = Wrap(Dihedral(Pos(x, zm, r[2]), Pos(x, zm, r[1]), Pos(x, zm, r[0]), Pos(x, zm, p)), zm->centre[p]);
  }
}

/* x from all internal coordinates q, in the chart's frame */
static void Cartesian(const UmbZMatrix *zm, const PetscReal q[], PetscReal x[])
{
  for (PetscInt p = 0; p < zm->natoms; p++) {
    const PetscInt  *r  = zm->ref + 3 * p;
    const PetscReal *qp = q + Offset(p);
    PetscReal       *xp = x + 3 * zm->atom[p];
    if (p == 0) xp[0] = xp[1] = xp[2] = 0;
    else if (p == 1) {
      xp[0] = qp[0];
      xp[1] = xp[2] = 0;
    } else if (p == 2) { /* in the xy plane, turned by theta from the direction j -> k */
      const PetscReal *xj = Pos(x, zm, r[0]), *xk = Pos(x, zm, r[1]);
      const PetscReal  s  = xk[0] > xj[0] ? 1 : -1;
      xp[0]               = xj[0] + s * qp[0] * PetscCosReal(qp[1]);
      xp[1]               = qp[0] * PetscSinReal(qp[1]);
      xp[2]               = 0;
    } else { /* natural extension reference frame (Parsons et al. 2005) */
      const PetscReal *xj = Pos(x, zm, r[0]), *xk = Pos(x, zm, r[1]), *xl = Pos(x, zm, r[2]);
      PetscReal        bc[3], ab[3], nv[3], m[3], nb;
      const PetscReal  d2[3] = {-qp[0] * PetscCosReal(qp[1]), qp[0] * PetscSinReal(qp[1]) * PetscCosReal(qp[2]), qp[0] * PetscSinReal(qp[1]) * PetscSinReal(qp[2])};
      UmbSub3(xj, xk, bc);
      nb = UmbNorm3(bc);
      for (int c = 0; c < 3; c++) bc[c] /= nb;
      UmbSub3(xk, xl, ab);
      UmbCross3(ab, bc, nv);
      nb = UmbNorm3(nv);
      for (int c = 0; c < 3; c++) nv[c] /= nb;
      UmbCross3(nv, bc, m);
      for (int c = 0; c < 3; c++) xp[c] = xj[c] + bc[c] * d2[0] + m[c] * d2[1] + nv[c] * d2[2];
    }
  }
}

/* the internal coordinate that component a of the CV fixes */
static inline PetscInt FixedIndex(const UmbZMatrix *zm, PetscInt a)
{
  return Offset(zm->cvpos[a]) + 2;
}

static inline PetscBool IsFixed(const UmbZMatrix *zm, PetscInt i)
{
  for (PetscInt a = 0; a < zm->d; a++)
    if (i == FixedIndex(zm, a)) return PETSC_TRUE;
  return PETSC_FALSE;
}

void UmbZMatrixProject(const UmbZMatrix *zm, const PetscReal x[], PetscReal y[])
{
  PetscReal q[3 * UMB_ZMATRIX_MAX_ATOMS];
  PetscInt  k = 0;
  Internal(zm, x, q);
  for (PetscInt i = 0; i < 3 * zm->natoms - 6; i++)
    if (!IsFixed(zm, i)) y[k++] = q[i];
}

void UmbZMatrixEmbed(const UmbZMatrix *zm, const PetscReal z[], const PetscReal y[], PetscReal x[])
{
  PetscReal q[3 * UMB_ZMATRIX_MAX_ATOMS];
  PetscInt  k = 0;
  for (PetscInt i = 0; i < 3 * zm->natoms - 6; i++) q[i] = IsFixed(zm, i) ? 0 : y[k++];
  for (PetscInt a = 0; a < zm->d; a++) q[FixedIndex(zm, a)] = z[a] / zm->scale;
  Cartesian(zm, q, x);
}

void UmbZMatrixReplace(const UmbZMatrix *zm, const PetscReal y[], PetscReal x[])
{
  PetscReal q[3 * UMB_ZMATRIX_MAX_ATOMS], z[2];
  Internal(zm, x, q);
  for (PetscInt a = 0; a < zm->d; a++) z[a] = q[FixedIndex(zm, a)] * zm->scale;
  UmbZMatrixEmbed(zm, z, y, x);
}

PetscReal UmbZMatrixLogVolume(const UmbZMatrix *zm, const PetscReal y[])
{
  PetscReal lv = 0;
  PetscInt  k  = 0;
  for (PetscInt i = 0; i < 3 * zm->natoms - 6; i++) {
    const PetscInt p = PositionOf(i), c = i - Offset(p);
    if (IsFixed(zm, i)) continue;
    if (c == 0) lv += 2 * PetscLogReal(PetscAbsReal(y[k]));
    else if (c == 1) lv += PetscLogReal(PetscAbsReal(PetscSinReal(y[k])));
    k++;
  }
  return lv;
}

void UmbZMatrixName(const UmbZMatrix *zm, PetscInt j, char buf[], size_t len)
{
  PetscInt k = 0;
  for (PetscInt i = 0; i < 3 * zm->natoms - 6; i++) {
    const PetscInt p = PositionOf(i), c = i - Offset(p);
    if (IsFixed(zm, i)) continue;
    if (k++ != j) continue;
    if (c == 0) snprintf(buf, len, "r(%d-%d)", (int)zm->atom[p] + 1, (int)zm->atom[zm->ref[3 * p]] + 1);
    else if (c == 1) snprintf(buf, len, "angle(%d-%d-%d)", (int)zm->atom[p] + 1, (int)zm->atom[zm->ref[3 * p]] + 1, (int)zm->atom[zm->ref[3 * p + 1]] + 1);
    else snprintf(buf, len, "dihedral(%d-%d-%d-%d)", (int)zm->atom[zm->ref[3 * p + 2]] + 1, (int)zm->atom[zm->ref[3 * p + 1]] + 1, (int)zm->atom[zm->ref[3 * p]] + 1, (int)zm->atom[p] + 1);
    return;
  }
  buf[0] = 0;
}

/* sine of the angle at j of i-j-k in the reference: references must not be collinear */
#define UMB_ZMATRIX_MIN_SINE 1e-2

static PetscBool Bent(const PetscReal x[], PetscInt i, PetscInt j, PetscInt k)
{
  return (PetscBool)(PetscSinReal(Angle(x + 3 * i, x + 3 * j, x + 3 * k)) > UMB_ZMATRIX_MIN_SINE);
}

static uint32_t Hash(uint32_t h, const void *data, size_t len)
{
  const unsigned char *c = (const unsigned char *)data;
  for (size_t i = 0; i < len; i++) h = (h ^ c[i]) * 16777619u; /* FNV-1a */
  return h;
}

typedef struct {
  UmbZMatrix *zm;
  PetscInt   *pos, *parent; /* position of each atom (-1: not placed); tree parent of each position */
} Builder;

static void Place(Builder *b, PetscInt atom, PetscInt j, PetscInt k, PetscInt l, PetscInt parent)
{
  UmbZMatrix    *zm = b->zm;
  const PetscInt p  = zm->nplaced++;
  zm->atom[p]       = atom;
  zm->ref[3 * p]    = j;
  zm->ref[3 * p + 1] = k;
  zm->ref[3 * p + 2] = l;
  b->parent[p]      = parent;
  b->pos[atom]      = p;
}

/* the reference l of an atom placed on j with angle partner k: a placed neighbour of j in the tree
   other than k (j's first child: an improper-like, stiff dihedral), else one of k; -1 if every
   candidate is collinear with j and k */
static PetscInt Reference(const Builder *b, const PetscReal x0[], PetscInt j, PetscInt k)
{
  const UmbZMatrix *zm = b->zm;
  for (int pass = 0; pass < 2; pass++) {
    const PetscInt centre = pass ? k : j;
    for (PetscInt q = 0; q < zm->nplaced; q++) {
      if (q == j || q == k || !(b->parent[q] == centre || b->parent[centre] == q)) continue;
      if (Bent(x0, zm->atom[q], zm->atom[k], zm->atom[j])) return q; /* l off the line k-j */
    }
  }
  return -1;
}

PetscErrorCode UmbZMatrixCreate(UmbCV cv, UmbZMatrix **zmp, char why[], size_t len)
{
  UmbModel        model;
  PetscBool       is;
  const PetscInt *at;
  PetscReal       scale, *x0, *best;
  PetscInt        n, d, N, *bestp;
  UmbZMatrix     *zm;
  Builder         b;

  PetscFunctionBegin;
  *zmp   = NULL;
  why[0] = 0;
  PetscCall(UmbCVGetDihedrals(cv, &is, &at, &scale));
  if (!is) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbCVGetModel(cv, &model));
  PetscCall(UmbModelGetDimension(model, &n));
  PetscCall(UmbCVGetDimension(cv, &d));
  N = n / 3;
  if (N < 4 || N > UMB_ZMATRIX_MAX_ATOMS) {
    snprintf(why, len, "internal coordinates take 4 to %d atoms, the model has %d", UMB_ZMATRIX_MAX_ATOMS, (int)N);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscNew(&zm));
  zm->natoms = N;
  zm->d      = d;
  zm->scale  = scale;
  PetscCall(PetscMalloc3(N, &zm->atom, 3 * N, &zm->ref, N, &zm->centre));
  PetscCall(PetscMalloc5(n, &x0, N, &best, N, &bestp, N, &b.pos, N, &b.parent));
  PetscCall(UmbModelGetReferenceState(model, x0));
  b.zm = zm;
  for (PetscInt i = 0; i < N; i++) b.pos[i] = -1;
  /* a-b-c-d: b at the origin, c on the x axis, a in the xy plane, d by the CV's dihedral */
  Place(&b, at[1], -1, -1, -1, 1);
  Place(&b, at[2], 0, -1, -1, 0);
  Place(&b, at[0], 0, 1, -1, 0);
  Place(&b, at[3], 1, 0, 2, 1);
  zm->cvpos[0] = 3;
  if (!Bent(x0, at[0], at[1], at[2]) || !Bent(x0, at[1], at[2], at[3])) snprintf(why, len, "atoms %d-%d-%d-%d of the dihedral are collinear in the reference structure", (int)at[0] + 1, (int)at[1] + 1, (int)at[2] + 1, (int)at[3] + 1);
  if (d == 2 && !why[0]) { /* e-f-g-h: three atoms placed in a chain, the fourth by this dihedral */
    const PetscInt *s = at + 4;
    if (b.pos[s[0]] >= 0 && b.pos[s[1]] >= 0 && b.pos[s[2]] >= 0 && b.pos[s[3]] < 0) Place(&b, s[3], b.pos[s[2]], b.pos[s[1]], b.pos[s[0]], b.pos[s[2]]);
    else if (b.pos[s[3]] >= 0 && b.pos[s[2]] >= 0 && b.pos[s[1]] >= 0 && b.pos[s[0]] < 0) Place(&b, s[0], b.pos[s[1]], b.pos[s[2]], b.pos[s[3]], b.pos[s[1]]);
    else snprintf(why, len, "the second dihedral (%d-%d-%d-%d) must share three consecutive atoms with the first", (int)s[0] + 1, (int)s[1] + 1, (int)s[2] + 1, (int)s[3] + 1);
    zm->cvpos[1] = 4;
    if (!why[0] && (!Bent(x0, s[0], s[1], s[2]) || !Bent(x0, s[1], s[2], s[3]))) snprintf(why, len, "atoms %d-%d-%d-%d of the second dihedral are collinear in the reference structure", (int)s[0] + 1, (int)s[1] + 1, (int)s[2] + 1, (int)s[3] + 1);
  }
  /* Prim: the unplaced atom nearest to a placed one, on that one */
  for (PetscInt i = 0; i < N; i++) best[i] = PETSC_MAX_REAL;
  for (PetscInt q = 0; q < zm->nplaced; q++)
    for (PetscInt i = 0; i < N; i++) {
      PetscReal u[3], r;
      if (b.pos[i] >= 0) continue;
      UmbSub3(x0 + 3 * i, x0 + 3 * zm->atom[q], u);
      r = UmbDot3(u, u);
      if (r < best[i]) best[i] = r, bestp[i] = q;
    }
  while (!why[0] && zm->nplaced < N) {
    PetscInt i = -1, j, k, l;
    for (PetscInt c = 0; c < N; c++)
      if (b.pos[c] < 0 && (i < 0 || best[c] < best[i])) i = c;
    j = bestp[i];
    k = b.parent[j];
    l = Reference(&b, x0, j, k);
    if (best[i] == 0 || !Bent(x0, i, zm->atom[j], zm->atom[k]) || l < 0) {
      snprintf(why, len, "atom %d has no bent chain of reference atoms in the reference structure (collinear or coinciding atoms)", (int)i + 1);
      break;
    }
    Place(&b, i, j, k, l, j);
    for (PetscInt c = 0; c < N; c++) {
      PetscReal u[3], r;
      if (b.pos[c] >= 0) continue;
      UmbSub3(x0 + 3 * c, x0 + 3 * i, u);
      r = UmbDot3(u, u);
      if (r < best[c]) best[c] = r, bestp[c] = zm->nplaced - 1;
    }
  }
  if (!why[0]) {
    PetscReal *q;
    PetscCall(PetscMalloc1(3 * N, &q));
    for (PetscInt p = 0; p < N; p++) zm->centre[p] = 0;
    Internal(zm, x0, q); /* with centres 0: dihedrals in (-pi, pi] */
    for (PetscInt p = 3; p < N; p++) zm->centre[p] = q[Offset(p) + 2];
    for (PetscInt a = 0; a < d; a++) zm->centre[zm->cvpos[a]] = 0;
    PetscCall(PetscFree(q));
    zm->ng   = 3 * N - 6 - d;
    zm->hash = Hash(Hash(Hash(2166136261u, zm->atom, N * sizeof(PetscInt)), zm->ref, 3 * N * sizeof(PetscInt)), zm->centre, N * sizeof(PetscReal));
  }
  PetscCall(PetscFree5(x0, best, bestp, b.pos, b.parent));
  if (why[0]) PetscCall(UmbZMatrixDestroy(&zm));
  *zmp = zm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbZMatrixDestroy(UmbZMatrix **zmp)
{
  PetscFunctionBegin;
  if (!*zmp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree3((*zmp)->atom, (*zmp)->ref, (*zmp)->centre));
  PetscCall(PetscFree(*zmp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
