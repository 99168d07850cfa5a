/* The molecular CVs, dihedral and distance, on fastslow with -fastslow_m 11 (n = 12: 4 atoms,
   atom i at x[3 (i - 1) + 0..2]).
   Dihedral: the value against an independent formula, sign((n1 x n2).b2) acos(n1.n2/|n1||n2|)
   with n1 = b1 x b2, n2 = b2 x b3, b1 = r2 - r1, ... (IUPAC), at random geometries; the known
   geometries cis (0), trans (pi, not -pi), +90 and -90 degrees; geometries built with a chosen
   angle phi in a canonical frame (atoms 2, 3 on the z axis, atom 1 at azimuth 0, atom 4 at
   azimuth phi) then rotated and translated at random, phi within 1e-3 .. 0 rad of +pi and -pi
   and of 0: the value is phi. The gradient against central finite differences of the value
   (step h = 1e-6, the difference taken as the minimum image UmbCVDifference, so that steps
   across +-pi count right) at all those geometries, relative tolerance 1e-6 of the largest
   gradient entry; its sum over the atoms is zero (translation invariance) and so is
   sum_i r_i x grad_i (rotation invariance). Distance: value and gradient likewise. 2-D versions:
   each component equals the 1-D CV of its atoms, batched evaluation (nw = 3) equals one state
   at a time, and the Jacobian matches finite differences. Names (default and -cv_names),
   period, flat level sets (none). Bad input: a model whose n is not a multiple of 3, missing
   -cv_atoms, a wrong count of ids, ids out of range, repeated ids, two equal components, bad
   -cv_names: each refused with PETSC_ERR_USER_INPUT and a message naming the option; collinear
   atoms (dihedral) and coinciding atoms (distance) stop the evaluation with PETSC_ERR_FP.

   Finite differences: the round-off of a central difference is about eps |phi| / h ~ 1e-9 and
   its truncation h^2 |phi'''| / 6 ~ 1e-12 |phi'''|; the random geometries keep bond lengths
   above 0.3 and the bond angles away from 0 and pi (sin > 0.2), so |phi'''| stays below ~1e4.
   Both are well below the tolerance 1e-6 (max_i |grad_i| + 1), while a wrong sign, term or
   factor gives an error of the order of the gradient.
   Would catch: a sign convention other than IUPAC, a value in [-pi, pi) instead of (-pi, pi], a
   wrong or missing gradient term, a gradient put on the wrong atom, components mixed up or
   walkers mixed up in batches, a missing period, a bad input that is accepted or refused with
   another code, NaN at degenerate geometries. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/cvimpl.h>
#include <umbra/private/modelimpl.h>
#include <umbra/rng.h>

#define N      12 /* coordinates: 4 atoms */
#define FD_H   1e-6
#define FD_REL 1e-6

static PetscErrorCode SetOptions(const char *const kv[])
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  for (int i = 0; kv[i]; i += 2) PetscCall(PetscOptionsSetValue(NULL, kv[i], kv[i + 1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A CV on fastslow -fastslow_m 11 (or the model given) from the options kv */
static PetscErrorCode MakeCV(const char *model, const char *const kv[], UmbModel *m, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(SetOptions(kv));
  PetscCall(PetscOptionsSetValue(NULL, "-fastslow_m", "11"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(UmbModelSetType(*m, model));
  PetscCall(UmbModelSetFromOptions(*m));
  PetscCall(UmbModelSetUp(*m));
  PetscCall(UmbCVCreate(*m, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Free(UmbModel *m, UmbCV *cv)
{
  PetscFunctionBegin;
  PetscCall(UmbCVDestroy(cv));
  PetscCall(UmbModelDestroy(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The first error's message, kept by the handler pushed around calls expected to fail */
static char caught[1024];

static PetscErrorCode CatchError(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  if (p == PETSC_ERROR_INITIAL) snprintf(caught, sizeof(caught), "%s", mess ? mess : "");
  return n;
}

/* Setting up the CV from kv must fail with code want and a message containing what */
static PetscErrorCode ExpectRefused(const char *model, const char *const kv[], PetscErrorCode want, const char *what)
{
  UmbModel       m;
  UmbCV          cv;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(SetOptions(kv));
  PetscCall(PetscOptionsSetValue(NULL, "-fastslow_m", "11"));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(UmbModelSetType(m, model));
  PetscCall(UmbModelSetFromOptions(m));
  PetscCall(UmbModelSetUp(m));
  PetscCall(UmbCVCreate(m, &cv));
  caught[0] = 0;
  PetscCall(PetscPushErrorHandler(CatchError, NULL));
  ierr = UmbCVSetFromOptions(cv);
  PetscCall(PetscPopErrorHandler());
  UMB_CHECK(ierr == want && strstr(caught, what), "%s %s %s %s: code %d (want %d), message '%s' (want '%s')", kv[0], kv[1], kv[2] ? kv[2] : "", kv[2] ? kv[3] : "", (int)ierr, (int)want, caught, what);
  PetscCall(Free(&m, &cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void Sub(const PetscReal *a, const PetscReal *b, PetscReal c[3])
{
  for (int i = 0; i < 3; i++) c[i] = a[i] - b[i];
}

static void Cross(const PetscReal u[3], const PetscReal v[3], PetscReal w[3])
{
  w[0] = u[1] * v[2] - u[2] * v[1];
  w[1] = u[2] * v[0] - u[0] * v[2];
  w[2] = u[0] * v[1] - u[1] * v[0];
}

static PetscReal Dot(const PetscReal u[3], const PetscReal v[3]) { return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]; }

/* The dihedral of atoms i, j, k, l (0-based) by the textbook formula: the angle between the
   normals n1 = b1 x b2 and n2 = b2 x b3, with the sign of (n1 x n2) . b2 */
static PetscReal DihedralAcos(const PetscReal *x, const int at[4])
{
  PetscReal b1[3], b2[3], b3[3], n1[3], n2[3], m[3], c;

  Sub(x + 3 * at[1], x + 3 * at[0], b1);
  Sub(x + 3 * at[2], x + 3 * at[1], b2);
  Sub(x + 3 * at[3], x + 3 * at[2], b3);
  Cross(b1, b2, n1);
  Cross(b2, b3, n2);
  Cross(n1, n2, m);
  c = Dot(n1, n2) / PetscSqrtReal(Dot(n1, n1) * Dot(n2, n2));
  c = PetscMin(1, PetscMax(-1, c));
  return (Dot(m, b2) < 0 ? -1 : 1) * PetscAcosReal(c);
}

/* A random rotation (unit quaternion from four normals) and translation of the 4 atoms */
static void RandomRigid(UmbStream *s, uint64_t p, PetscReal x[N])
{
  double    q[4], t[4], nq;
  PetscReal R[3][3], y[N];

  UmbStreamGaussian4(s, p, 7, 0, q);
  UmbStreamGaussian4(s, p, 8, 0, t);
  nq = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (int i = 0; i < 4; i++) q[i] /= nq;
  R[0][0] = 1 - 2 * (q[2] * q[2] + q[3] * q[3]);
  R[0][1] = 2 * (q[1] * q[2] - q[0] * q[3]);
  R[0][2] = 2 * (q[1] * q[3] + q[0] * q[2]);
  R[1][0] = 2 * (q[1] * q[2] + q[0] * q[3]);
  R[1][1] = 1 - 2 * (q[1] * q[1] + q[3] * q[3]);
  R[1][2] = 2 * (q[2] * q[3] - q[0] * q[1]);
  R[2][0] = 2 * (q[1] * q[3] - q[0] * q[2]);
  R[2][1] = 2 * (q[2] * q[3] + q[0] * q[1]);
  R[2][2] = 1 - 2 * (q[1] * q[1] + q[2] * q[2]);
  for (int a = 0; a < 4; a++)
    for (int i = 0; i < 3; i++) y[3 * a + i] = 3 * t[i] + R[i][0] * x[3 * a] + R[i][1] * x[3 * a + 1] + R[i][2] * x[3 * a + 2];
  for (int i = 0; i < N; i++) x[i] = y[i];
}

/* Atoms 2, 3 on the z axis, atom 1 at azimuth 0, atom 4 at azimuth phi (random bond lengths in
   [0.8, 1.6], heights keeping the bond angles away from 0 and pi), then moved rigidly: its
   dihedral (1, 2, 3, 4) is phi */
static void BuildDihedral(UmbStream *s, uint64_t p, PetscReal phi, PetscReal x[N])
{
  double u[4], v[4];

  UmbStreamUniform4(s, p, 5, 0, u);
  UmbStreamUniform4(s, p, 6, 0, v);
  x[3] = x[4] = x[5] = 0;                                      /* atom 2 */
  x[6] = x[7] = 0, x[8] = 0.8 + 0.8 * u[0];                    /* atom 3 */
  x[0] = 0.8 + 0.8 * u[1], x[1] = 0, x[2] = -1 + 2 * v[0];     /* atom 1 */
  x[9] = (0.8 + 0.8 * u[2]) * PetscCosReal(phi);               /* atom 4 */
  x[10] = (0.8 + 0.8 * u[2]) * PetscSinReal(phi);
  x[11] = x[8] - 1 + 2 * v[1];
  RandomRigid(s, p, x);
}

/* Random positions of the 4 atoms, bond lengths (1-2, 2-3, 3-4) above 0.3 and bond angles with
   sin above 0.2 (resampled until so) */
static void RandomAtoms(UmbStream *s, uint64_t p, PetscReal x[N])
{
  for (uint64_t t = 0;; t++) {
    double    g[N];
    PetscBool ok = PETSC_TRUE;
    UmbStreamGaussian(s, p, 100 + t, N, g);
    for (int i = 0; i < N; i++) x[i] = g[i];
    for (int b = 0; b < 3; b++) {
      PetscReal u[3];
      Sub(x + 3 * (b + 1), x + 3 * b, u);
      if (Dot(u, u) < 0.09) ok = PETSC_FALSE;
    }
    for (int b = 0; b < 2; b++) {
      PetscReal u[3], w[3], c[3];
      Sub(x + 3 * b, x + 3 * (b + 1), u);
      Sub(x + 3 * (b + 2), x + 3 * (b + 1), w);
      Cross(u, w, c);
      if (Dot(c, c) < 0.04 * Dot(u, u) * Dot(w, w)) ok = PETSC_FALSE;
    }
    if (ok) return;
  }
}

/* The Jacobian at x against central differences (minimum image), and the invariances of each
   component's gradient: sum_i grad_i = 0 and sum_i r_i x grad_i = 0 */
static PetscErrorCode CheckGradient(UmbCV cv, const PetscReal x[N], const char *label)
{
  PetscInt  d;
  PetscReal z[2], J[2 * N], xp[N], zp[2], zm[2];

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVEvaluate(cv, 1, x, z, J));
  for (PetscInt a = 0; a < d; a++) {
    const PetscReal *g = J + a * N;
    PetscReal        gmax = 0, rmax = 0, sum[3] = {0, 0, 0}, torque[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) gmax = PetscMax(gmax, PetscAbsReal(g[i]));
    for (int i = 0; i < N; i++) rmax = PetscMax(rmax, PetscAbsReal(x[i]));
    for (int i = 0; i < N; i++) {
      PetscReal fd;
      PetscCall(PetscArraycpy(xp, x, N));
      xp[i] = x[i] + FD_H;
      PetscCall(UmbCVEvaluate(cv, 1, xp, zp, NULL));
      xp[i] = x[i] - FD_H;
      PetscCall(UmbCVEvaluate(cv, 1, xp, zm, NULL));
      fd = UmbCVDifference(cv, a, zp[a], zm[a]) / (2 * FD_H);
      UMB_CHECK(PetscAbsReal(g[i] - fd) <= FD_REL * (gmax + 1), "%s, component %d, coordinate %d: gradient %.12g, finite difference %.12g (z = %.17g)", label, (int)a, i, (double)g[i], (double)fd, (double)z[a]);
    }
    for (int at = 0; at < 4; at++) {
      PetscReal t[3];
      Cross(x + 3 * at, g + 3 * at, t);
      for (int c = 0; c < 3; c++) {
        sum[c] += g[3 * at + c];
        torque[c] += t[c];
      }
    }
    for (int c = 0; c < 3; c++) {
      UMB_CHECK(PetscAbsReal(sum[c]) <= 1e-12 * gmax, "%s, component %d: sum of the gradient over the atoms, axis %d: %g (largest entry %g)", label, (int)a, c, (double)sum[c], (double)gmax);
      UMB_CHECK(PetscAbsReal(torque[c]) <= 1e-12 * gmax * (rmax + 1), "%s, component %d: sum of r x gradient, axis %d: %g (largest entry %g)", label, (int)a, c, (double)torque[c], (double)gmax);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckDihedral(void)
{
  const char *kv[] = {"-model", "fastslow", "-cv", "dihedral", "-cv_atoms", "1,2,3,4", NULL};
  const int   at[4] = {0, 1, 2, 3};
  UmbModel    m;
  UmbCV       cv;
  UmbStream   s;
  const char *name;
  PetscReal   x[N], z, period;
  PetscBool   flat;
  PetscInt    d;
  int         nvalue = 0, ngrad = 0;

  PetscFunctionBegin;
  PetscCall(MakeCV(UMBMODELFASTSLOW, kv, &m, &cv));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetPeriod(cv, &period));
  PetscCall(UmbCVGetName(cv, 0, &name));
  PetscCall(UmbCVHasFlatLevelSets(cv, &flat));
  UMB_CHECK(m->n == N && d == 1, "fastslow -fastslow_m 11: n = %d, dihedral d = %d", (int)m->n, (int)d);
  UMB_CHECK(period == 2 * PETSC_PI, "dihedral period %g", (double)period);
  UMB_CHECK(!strcmp(name, "dihedral(1-2-3-4)"), "default name %s", name);
  UMB_CHECK(!flat, "a dihedral has flat level sets");
  UmbStreamInit(&s, 204, UMB_STREAM_TEST, 1);

  { /* cis, trans, +90, -90: atoms 2, 3 on the z axis, atom 1 along x, atom 4 at azimuth phi */
    const PetscReal known[4][2] = {
      {1,  0 }, /* cis: phi = 0 */
      {-1, 0 }, /* trans: pi */
      {0,  1 }, /* +90 */
      {0,  -1}  /* -90 */
    };
    const PetscReal want[4] = {0, PETSC_PI, PETSC_PI / 2, -PETSC_PI / 2};
    const char     *what[4] = {"cis", "trans", "+90", "-90"};
    for (int c = 0; c < 4; c++) {
      PetscReal y[N] = {1, 0, 0, 0, 0, 0, 0, 0, 1, known[c][0], known[c][1], 1};
      PetscCall(UmbCVEvaluate(cv, 1, y, &z, NULL));
      UMB_CHECK_CLOSE(z, want[c], 0, 1e-15, what[c]);
      nvalue++;
    }
    { /* trans with a sine of -0: pi, not -pi */
      PetscReal y[N] = {1, -0.0, 0, 0, 0, 0, 0, 0, 1, -1, 0, 1};
      PetscCall(UmbCVEvaluate(cv, 1, y, &z, NULL));
      UMB_CHECK(z == PETSC_PI, "trans with a signed zero gave %.17g, not pi", (double)z);
    }
  }
  for (int p = 0; p < 200; p++) { /* random geometries: against the acos formula */
    RandomAtoms(&s, (uint64_t)p, x);
    PetscCall(UmbCVEvaluate(cv, 1, x, &z, NULL));
    UMB_CHECK(z > -PETSC_PI && z <= PETSC_PI, "dihedral %.17g outside (-pi, pi]", (double)z);
    UMB_CHECK_CLOSE(UmbCVDifference(cv, 0, z, DihedralAcos(x, at)), 0, 0, 1e-7, "dihedral vs acos formula");
    nvalue++;
    if (p < 50) {
      PetscCall(CheckGradient(cv, x, "random geometry"));
      ngrad++;
    }
  }
  { /* chosen angles, rotated and moved: near +pi, -pi (both sides) and 0 */
    const PetscReal delta[] = {1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-9, 1e-12, 0};
    const PetscReal base[]  = {PETSC_PI, -PETSC_PI, 0};
    uint64_t        p       = 1000;
    for (int b = 0; b < 3; b++)
      for (size_t k = 0; k < sizeof(delta) / sizeof(delta[0]); k++)
        for (int side = -1; side <= 1; side += 2) {
          const PetscReal phi = base[b] + side * delta[k];
          char            label[64];
          BuildDihedral(&s, p++, phi, x);
          PetscCall(UmbCVEvaluate(cv, 1, x, &z, NULL));
          UMB_CHECK(z > -PETSC_PI && z <= PETSC_PI, "dihedral %.17g outside (-pi, pi]", (double)z);
          UMB_CHECK_CLOSE(UmbCVDifference(cv, 0, z, phi), 0, 0, 1e-12, "dihedral of a built geometry");
          snprintf(label, sizeof(label), "built geometry phi = %.15g", (double)phi);
          PetscCall(CheckGradient(cv, x, label));
          nvalue++;
          ngrad++;
        }
  }
  UMB_NOTE("dihedral values (%d geometries: cis, trans, +-90, random, near +-pi and 0)", nvalue);
  UMB_NOTE("dihedral gradients against finite differences, translation and rotation invariance (%d geometries)", ngrad);

  { /* degenerate: atoms 1, 2, 3 collinear; atoms 2 and 3 coinciding */
    PetscReal      y[N] = {2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1};
    PetscErrorCode ierr;
    caught[0] = 0;
    PetscCall(PetscPushErrorHandler(CatchError, NULL));
    ierr = UmbCVEvaluate(cv, 1, y, &z, NULL);
    PetscCall(PetscPopErrorHandler());
    UMB_CHECK(ierr == PETSC_ERR_FP && strstr(caught, "atoms 1, 2, 3 of dihedral(1-2-3-4) are collinear"), "collinear atoms: code %d, message '%s'", (int)ierr, caught);
    y[0] = 1, y[1] = 1, y[2] = 0;
    y[3] = y[6] = 0;
    caught[0] = 0;
    PetscCall(PetscPushErrorHandler(CatchError, NULL));
    ierr = UmbCVEvaluate(cv, 1, y, &z, NULL);
    PetscCall(PetscPopErrorHandler());
    UMB_CHECK(ierr == PETSC_ERR_FP && strstr(caught, "collinear (or coincide)"), "coinciding atoms 2, 3: code %d, message '%s'", (int)ierr, caught);
  }
  UMB_NOTE("dihedral of collinear atoms is an error, not NaN");
  PetscCall(Free(&m, &cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckDistance(void)
{
  const char *kv[] = {"-model", "fastslow", "-cv", "distance", "-cv_atoms", "3,1", NULL};
  UmbModel    m;
  UmbCV       cv;
  UmbStream   s;
  const char *name;
  PetscReal   x[N], z, J[N], period;
  PetscBool   flat;
  PetscInt    d;

  PetscFunctionBegin;
  PetscCall(MakeCV(UMBMODELFASTSLOW, kv, &m, &cv));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetPeriod(cv, &period));
  PetscCall(UmbCVGetName(cv, 0, &name));
  PetscCall(UmbCVHasFlatLevelSets(cv, &flat));
  UMB_CHECK(d == 1 && period == 0, "distance: d = %d, period %g", (int)d, (double)period);
  UMB_CHECK(!strcmp(name, "distance(3-1)"), "default name %s", name);
  UMB_CHECK(!flat, "a distance has flat level sets");
  UmbStreamInit(&s, 204, UMB_STREAM_TEST, 2);
  for (int p = 0; p < 50; p++) {
    PetscReal u[3];
    RandomAtoms(&s, (uint64_t)p, x);
    PetscCall(UmbCVEvaluate(cv, 1, x, &z, J));
    Sub(x + 6, x, u);
    UMB_CHECK_CLOSE(z, PetscSqrtReal(Dot(u, u)), 1e-15, 0, "distance");
    for (int c = 0; c < 3; c++) {
      UMB_CHECK_CLOSE(J[6 + c], u[c] / z, 1e-15, 1e-15, "distance gradient on atom 3");
      UMB_CHECK_CLOSE(J[c], -u[c] / z, 1e-15, 1e-15, "distance gradient on atom 1");
      UMB_CHECK(J[3 + c] == 0 && J[9 + c] == 0, "distance gradient on atoms 2 or 4");
    }
    PetscCall(CheckGradient(cv, x, "distance"));
  }
  {
    PetscReal      y[N] = {1, 2, 3, 0, 0, 0, 1, 2, 3, 1, 1, 1};
    PetscErrorCode ierr;
    caught[0] = 0;
    PetscCall(PetscPushErrorHandler(CatchError, NULL));
    ierr = UmbCVEvaluate(cv, 1, y, &z, NULL);
    PetscCall(PetscPopErrorHandler());
    UMB_CHECK(ierr == PETSC_ERR_FP && strstr(caught, "atoms 3 and 1 of distance(3-1) coincide"), "coinciding atoms: code %d, message '%s'", (int)ierr, caught);
  }
  UMB_NOTE("distance value and gradient (50 geometries), coinciding atoms an error");
  PetscCall(Free(&m, &cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A 2-D CV: each component is the 1-D CV of its atoms; batches of 3 states match one at a time;
   the Jacobian matches finite differences */
static PetscErrorCode Check2D(const char *type, const char *atoms, const char *atoms1, const char *atoms2, const char *names, const char *name1, const char *name2)
{
  const char *kv[]  = {"-model", "fastslow", "-cv", type, "-cv_atoms", atoms, "-cv_names", names, NULL};
  const char *kv1[] = {"-model", "fastslow", "-cv", type, "-cv_atoms", atoms1, NULL};
  const char *kv2[] = {"-model", "fastslow", "-cv", type, "-cv_atoms", atoms2, NULL};
  UmbModel    m, m1, m2;
  UmbCV       cv, cv1, cv2;
  UmbStream   s;
  const char *n0, *n1;
  PetscReal   X[3 * N], Z[6], JJ[6 * N], z1, z2, J1[N], J2[N], period[2];
  PetscInt    d;

  PetscFunctionBegin;
  PetscCall(MakeCV(UMBMODELFASTSLOW, kv, &m, &cv));
  PetscCall(MakeCV(UMBMODELFASTSLOW, kv1, &m1, &cv1));
  PetscCall(MakeCV(UMBMODELFASTSLOW, kv2, &m2, &cv2));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetPeriod(cv, period));
  PetscCall(UmbCVGetName(cv, 0, &n0));
  PetscCall(UmbCVGetName(cv, 1, &n1));
  UMB_CHECK(d == 2, "%s -cv_atoms %s: d = %d", type, atoms, (int)d);
  UMB_CHECK(!strcmp(n0, name1) && !strcmp(n1, name2), "-cv_names %s gave %s, %s", names, n0, n1);
  UMB_CHECK(period[0] == period[1] && period[0] == (strcmp(type, "dihedral") ? 0 : 2 * PETSC_PI), "%s periods %g, %g", type, (double)period[0], (double)period[1]);
  UmbStreamInit(&s, 204, UMB_STREAM_TEST, 3);
  for (int p = 0; p < 20; p++) {
    for (int w = 0; w < 3; w++) RandomAtoms(&s, (uint64_t)(3 * p + w), X + w * N);
    PetscCall(UmbCVEvaluate(cv, 3, X, Z, JJ));
    for (int w = 0; w < 3; w++) {
      PetscCall(UmbCVEvaluate(cv1, 1, X + w * N, &z1, J1));
      PetscCall(UmbCVEvaluate(cv2, 1, X + w * N, &z2, J2));
      UMB_CHECK(Z[2 * w] == z1 && Z[2 * w + 1] == z2, "%s walker %d: (%g, %g), the 1-D CVs give (%g, %g)", type, w, (double)Z[2 * w], (double)Z[2 * w + 1], (double)z1, (double)z2);
      for (int i = 0; i < N; i++) UMB_CHECK(JJ[(2 * w) * N + i] == J1[i] && JJ[(2 * w + 1) * N + i] == J2[i], "%s walker %d: Jacobian entry %d differs from the 1-D CVs'", type, w, i);
    }
    PetscCall(CheckGradient(cv, X, type));
  }
  UMB_NOTE("2-D %s -cv_atoms %s: components, batches, Jacobian", type, atoms);
  PetscCall(Free(&m, &cv));
  PetscCall(Free(&m1, &cv1));
  PetscCall(Free(&m2, &cv2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckBadInput(void)
{
  const PetscErrorCode in = PETSC_ERR_USER_INPUT;
  struct {
    const char *type, *atoms, *names, *what;
  } bad[] = {
    {"dihedral", NULL,                NULL,  "-cv dihedral needs -cv_atoms with 4 atom ids (or 8 for a 2-D CV)"                        },
    {"dihedral", "1,2,3",             NULL,  "-cv_atoms: -cv dihedral takes 4 atom ids (or 8 for a 2-D CV), got 3"                     },
    {"dihedral", "1,2,3,4,1",         NULL,  "-cv_atoms: -cv dihedral takes 4 atom ids (or 8 for a 2-D CV), got 5"                     },
    {"dihedral", "1,2,3,4,2,3,4,1,2", NULL,  "got more than 8"                                                                         },
    {"dihedral", "0,1,2,3",           NULL,  "-cv_atoms: atom 0 is not an atom of model fastslow, which has 4 (ids 1..4)"              },
    {"dihedral", "1,2,3,5",           NULL,  "-cv_atoms: atom 5 is not an atom"                                                        },
    {"dihedral", "1,2,3,4,1,2,3,-1",  NULL,  "-cv_atoms: atom -1 is not an atom"                                                       },
    {"dihedral", "1,2,3,1",           NULL,  "-cv_atoms: component 1 lists atom 1 twice"                                               },
    {"dihedral", "1,2,3,4,1,2,4,4",   NULL,  "-cv_atoms: component 2 lists atom 4 twice"                                               },
    {"dihedral", "1,2,3,4,4,3,2,1",   NULL,  "the two components of this 2-D CV are the same dihedral"                                 },
    {"dihedral", "1,2,3,4",           "a,b", "-cv_names: this 1-D CV takes 1 name, got 2"                                              },
    {"dihedral", "1,2,3,4,2,3,4,1",   "phi", "-cv_names: this 2-D CV takes 2 names, got 1"                                             },
    {"dihedral", "1,2,3,4,2,3,4,1",   "a,a", "-cv_names: both components are named a"                                                  },
    {"dihedral", "1,2,3,4",           "a'b", "-cv_names: 'a'b' is not a name"                                                          },
    {"distance", NULL,                NULL,  "-cv distance needs -cv_atoms with 2 atom ids (or 4 for a 2-D CV)"                        },
    {"distance", "1,2,3",             NULL,  "-cv_atoms: -cv distance takes 2 atom ids (or 4 for a 2-D CV), got 3"                     },
    {"distance", "2,2",               NULL,  "-cv_atoms: component 1 lists atom 2 twice"                                               },
    {"distance", "1,2,2,1",           NULL,  "the two components of this 2-D CV are the same distance"                                 },
    {"distance", "1,7",               NULL,  "-cv_atoms: atom 7 is not an atom of model fastslow"                                      },
  };
  int nbad = 0;

  PetscFunctionBegin;
  for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
    const char *kv[9] = {"-cv", bad[c].type, NULL};
    int         k     = 2;
    if (bad[c].atoms) kv[k++] = "-cv_atoms", kv[k++] = bad[c].atoms;
    if (bad[c].names) kv[k++] = "-cv_names", kv[k++] = bad[c].names;
    kv[k] = NULL;
    PetscCall(ExpectRefused(UMBMODELFASTSLOW, kv, in, bad[c].what));
    nbad++;
  }
  { /* n not a multiple of 3: mullerbrown (n = 2) */
    const char *kv[] = {"-cv", "dihedral", "-cv_atoms", "1,2,3,4", NULL};
    const char *kd[] = {"-cv", "distance", "-cv_atoms", "1,2", NULL};
    PetscCall(ExpectRefused(UMBMODELMULLERBROWN, kv, in, "-cv dihedral needs a model whose coordinates are atom positions (n a multiple of 3), model mullerbrown has n = 2"));
    PetscCall(ExpectRefused(UMBMODELMULLERBROWN, kd, in, "-cv distance needs a model whose coordinates are atom positions (n a multiple of 3), model mullerbrown has n = 2"));
    nbad += 2;
  }
  UMB_NOTE("%d bad inputs refused with a message naming the option", nbad);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -cv_angle_unit degree: value and gradient 180/pi times the radian ones, period 360, and the
   gradient against finite differences in degrees (across +-180) */
static PetscErrorCode CheckDegrees(void)
{
  const char *const rad[] = {"-cv", "dihedral", "-cv_atoms", "1,2,3,4", NULL};
  const char *const deg[] = {"-cv", "dihedral", "-cv_atoms", "1,2,3,4", "-cv_angle_unit", "degree", NULL};
  UmbModel          mr, md;
  UmbCV             cr, cd;
  UmbStream         st;
  PetscReal         per, x[N], zr, zd, Jr[N], Jd[N];

  PetscFunctionBegin;
  PetscCall(MakeCV(UMBMODELFASTSLOW, rad, &mr, &cr));
  PetscCall(MakeCV(UMBMODELFASTSLOW, deg, &md, &cd));
  PetscCall(UmbCVGetPeriod(cd, &per));
  UMB_CHECK(per == 360, "degree period %.17g", (double)per);
  UmbStreamInit(&st, 204, UMB_STREAM_TEST, 77);
  for (int p = 0; p < 40; p++) {
    UmbStreamGaussian(&st, (uint64_t)p, 0, N, x);
    PetscCall(UmbCVEvaluate(cr, 1, x, &zr, Jr));
    PetscCall(UmbCVEvaluate(cd, 1, x, &zd, Jd));
    UMB_CHECK_CLOSE(zd, zr * 180 / PETSC_PI, 1e-14, 1e-12, "degrees = 180/pi radians");
    UMB_CHECK(zd > -180 && zd <= 180 + 1e-12, "degree value %.17g outside (-180, 180]", (double)zd);
    for (int i = 0; i < N; i++) UMB_CHECK_CLOSE(Jd[i], Jr[i] * 180 / PETSC_PI, 1e-13, 1e-12, "degree gradient = 180/pi radian gradient");
    if (p < 10) PetscCall(CheckGradient(cd, x, "dihedral in degrees"));
  }
  PetscCall(Free(&mr, &cr));
  PetscCall(Free(&md, &cd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  PetscFunctionBegin;
  PetscCall(CheckDihedral());
  PetscCall(CheckDegrees());
  PetscCall(CheckDistance());
  PetscCall(Check2D("dihedral", "1,2,3,4,2,3,4,1", "1,2,3,4", "2,3,4,1", "phi,psi", "phi", "psi"));
  PetscCall(Check2D("distance", "1,2,4,3", "1,2", "4,3", "r12,r_43", "r12", "r_43"));
  PetscCall(CheckBadInput());
  PetscCall(PetscOptionsClear(NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  ierr = Run();
  return UmbTestFinalize(ierr);
}
