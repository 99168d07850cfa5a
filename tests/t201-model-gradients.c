/* Models and CVs: analytic gradients against central finite differences for every model
   (fastslow gaussian/tilted, mullerbrown, ring, the doublewell plugin) and every CV type
   (coord 1-D/2-D, linear 1-D/2-D, native, plugin) at deterministic random points; batched
   evaluation (nw > 1, U or g omitted) against one state at a time; the ring's rotation is
   orthogonal and deterministic, its energy matches the defining formula in q = Q^T x and its
   reference state sits in the minimum theta = -theta0, r = 1; the Mueller-Brown reference is
   the stationary deepest minimum with V = s * (-146.6995); the plugin's values match its formula.

   Finite differences: step h_i = 1e-6 max(1, |x_i|). The round-off of a central difference is
   about eps |U| / h ~ 2e-10 |U| and its truncation h^2 |U'''| / 6 ~ 2e-13 |U'''|; over the
   points used here |U'''| stays below ~1e5 (Mueller-Brown's steepest exponentials). Both are at
   least 30 times below the tolerance 1e-6 (|U| + max_i |dU/dx_i| + 1), while a wrong term,
   sign, factor or index in a gradient gives an error of the order of the gradient itself.
   Would catch: any analytic gradient or CV Jacobian that disagrees with its energy or CV
   (e.g. a missing chain-rule factor, the ring's 1/r^2, a transposed Q), batched evaluation that
   mixes walkers, a non-orthogonal or rank-dependent rotation, a wrong reference state. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/modelimpl.h>
#include <umbra/private/mullerbrownimpl.h>
#include <umbra/private/ringimpl.h>
#include <umbra/rng.h>

#define NPTS   8
#define FD_REL 1e-6

/* Clears the options database and sets the key/value pairs (NULL-terminated) */
static PetscErrorCode SetOptions(const char *const kv[])
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  for (int i = 0; kv[i]; i += 2) PetscCall(PetscOptionsSetValue(NULL, kv[i], kv[i + 1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CreateModel(const char *const kv[], UmbModel *m)
{
  PetscFunctionBegin;
  PetscCall(SetOptions(kv));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(UmbModelSetFromOptions(*m));
  PetscCall(UmbModelSetUp(*m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Test point p of a model (deterministic) */
static void TestPoint(UmbModel m, int config, int p, PetscReal x[])
{
  UmbStream s;
  double    g[64], u[4];
  const int n = (int)m->n;

  UmbStreamInit(&s, 201, UMB_STREAM_TEST, (uint64_t)config);
  UmbStreamGaussian(&s, (uint64_t)p, 0, n, g);
  UmbStreamUniform4(&s, (uint64_t)p, 1, 0, u);
  if (!strcmp(m->type, UMBMODELMULLERBROWN)) {
    /* the three minima and two saddles, then uniform points in the region windows visit */
    static const PetscReal special[5][2] = {
      {-0.558224, 1.441726},
      {0.623499, 0.028038},
      {-0.050011, 0.466694},
      {-0.822002, 0.624313},
      {0.212487, 0.292988}
    };
    if (p < 5) {
      x[0] = special[p][0];
      x[1] = special[p][1];
    } else {
      x[0] = -1.5 + 2.7 * u[0];
      x[1] = -0.5 + 2.5 * u[1];
    }
  } else if (!strcmp(m->type, UMBMODELPLUGIN)) {
    for (int i = 0; i < n; i++) x[i] = -2 + 4 * u[i % 4];
  } else {
    const PetscReal sigma = !strcmp(m->type, UMBMODELRING) ? 0.25 : 0.5;
    for (int i = 0; i < n; i++) x[i] = m->reference[i] + sigma * g[i];
  }
}

static PetscErrorCode CheckModelGradient(UmbModel m, const char *label, int config)
{
  const PetscInt n = m->n;
  PetscReal     *X, *Ub, *Gb, *xp, *g, *g1;

  PetscFunctionBegin;
  PetscCall(PetscMalloc6(NPTS * n, &X, NPTS, &Ub, NPTS * n, &Gb, n, &xp, n, &g, n, &g1));
  for (int p = 0; p < NPTS; p++) {
    PetscReal U, U1, gmax = 0;
    TestPoint(m, config, p, X + p * n);
    PetscCall(UmbModelEnergyGradient(m, 1, X + p * n, &U, g));
    for (PetscInt i = 0; i < n; i++) gmax = PetscMax(gmax, PetscAbsReal(g[i]));
    UMB_CHECK(PetscIsNormalReal(U) || U == 0, "%s: energy at point %d is not finite", label, p);
    /* U only and g only give the same */
    PetscCall(UmbModelEnergyGradient(m, 1, X + p * n, &U1, NULL));
    UMB_CHECK_CLOSE(U1, U, 1e-14, 1e-300, "energy without gradient");
    PetscCall(UmbModelEnergyGradient(m, 1, X + p * n, NULL, g1));
    for (PetscInt i = 0; i < n; i++) UMB_CHECK_CLOSE(g1[i], g[i], 1e-14, 1e-300, "gradient without energy");
    for (PetscInt i = 0; i < n; i++) {
      const PetscReal h = 1e-6 * PetscMax(1, PetscAbsReal(X[p * n + i]));
      PetscReal       Up, Um, fd;
      char            what[256];
      PetscCall(PetscArraycpy(xp, X + p * n, n));
      xp[i] += h;
      PetscCall(UmbModelEnergyGradient(m, 1, xp, &Up, NULL));
      xp[i] = X[p * n + i] - h;
      PetscCall(UmbModelEnergyGradient(m, 1, xp, &Um, NULL));
      fd = (Up - Um) / (2 * h);
      snprintf(what, sizeof(what), "%.100s: dU/dx_%d at point %d (finite difference vs analytic)", label, (int)i, p);
      UMB_CHECK_CLOSE(fd, g[i], 0, FD_REL * (PetscAbsReal(U) + gmax + 1), what);
    }
  }
  /* all points at once equal one at a time */
  PetscCall(UmbModelEnergyGradient(m, NPTS, X, Ub, Gb));
  for (int p = 0; p < NPTS; p++) {
    PetscReal U;
    PetscCall(UmbModelEnergyGradient(m, 1, X + p * n, &U, g));
    UMB_CHECK_CLOSE(Ub[p], U, 1e-14, 1e-300, "batched energy");
    for (PetscInt i = 0; i < n; i++) UMB_CHECK_CLOSE(Gb[p * n + i], g[i], 1e-14, 1e-300, "batched gradient");
  }
  PetscCall(UmbModelEnergyGradient(m, NPTS, X, NULL, Gb));
  PetscCall(UmbModelEnergyGradient(m, NPTS, X, Ub, NULL));
  for (int p = 0; p < NPTS; p++) {
    PetscReal U;
    PetscCall(UmbModelEnergyGradient(m, 1, X + p * n, &U, g));
    UMB_CHECK_CLOSE(Ub[p], U, 1e-14, 1e-300, "batched energy without gradients");
    for (PetscInt i = 0; i < n; i++) UMB_CHECK_CLOSE(Gb[p * n + i], g[i], 1e-14, 1e-300, "batched gradient without energies");
  }
  PetscCall(PetscFree6(X, Ub, Gb, xp, g, g1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Creates a CV from the pairs (model options stay), checks J against finite differences of z
   and batched against single evaluation */
static PetscErrorCode CheckCV(UmbModel m, const char *label, int config, const char *const kv[], PetscInt d_expect)
{
  const PetscInt n = m->n;
  UmbCV          cv;
  PetscInt       d;
  PetscReal     *X, *Z, *JB, *xp, *J, z[2], zp[2], zm[2];
  const char    *type;
  char           name[256];

  PetscFunctionBegin;
  PetscCall(PetscOptionsClearValue(NULL, "-cv"));
  PetscCall(PetscOptionsClearValue(NULL, "-cv_index"));
  PetscCall(PetscOptionsClearValue(NULL, "-cv_weights"));
  for (int i = 0; kv[i]; i += 2) PetscCall(PetscOptionsSetValue(NULL, kv[i], kv[i + 1]));
  PetscCall(UmbCVCreate(m, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbCVGetDimension(cv, &d));
  PetscCall(UmbCVGetType(cv, &type));
  snprintf(name, sizeof(name), "%s, -cv %s%s%s%s%s", label, type, kv[2] ? " " : "", kv[2] ? kv[2] : "", kv[2] ? " " : "", kv[2] ? kv[3] : "");
  UMB_CHECK(d == d_expect, "%s: dimension %d, expected %d", name, (int)d, (int)d_expect);
  PetscCall(PetscMalloc5(NPTS * n, &X, NPTS * d, &Z, NPTS * d * n, &JB, n, &xp, d * n, &J));
  for (int p = 0; p < NPTS; p++) {
    TestPoint(m, config, p, X + p * n);
    PetscCall(UmbCVEvaluate(cv, 1, X + p * n, z, J));
    for (PetscInt a = 0; a < d; a++) {
      PetscReal jmax = 0;
      for (PetscInt i = 0; i < n; i++) jmax = PetscMax(jmax, PetscAbsReal(J[a * n + i]));
      for (PetscInt i = 0; i < n; i++) {
        const PetscReal h = 1e-6 * PetscMax(1, PetscAbsReal(X[p * n + i]));
        char            what[400];
        PetscCall(PetscArraycpy(xp, X + p * n, n));
        xp[i] += h;
        PetscCall(UmbCVEvaluate(cv, 1, xp, zp, NULL));
        xp[i] = X[p * n + i] - h;
        PetscCall(UmbCVEvaluate(cv, 1, xp, zm, NULL));
        snprintf(what, sizeof(what), "%s: dz_%d/dx_%d at point %d", name, (int)a, (int)i, p);
        UMB_CHECK_CLOSE(UmbCVDifference(cv, a, zp[a], zm[a]) / (2 * h), J[a * n + i], 0, FD_REL * (PetscAbsReal(z[a]) + jmax + 1), what);
      }
    }
  }
  PetscCall(UmbCVEvaluate(cv, NPTS, X, Z, JB));
  for (int p = 0; p < NPTS; p++) {
    PetscCall(UmbCVEvaluate(cv, 1, X + p * n, z, J));
    for (PetscInt a = 0; a < d; a++) {
      UMB_CHECK_CLOSE(Z[p * d + a], z[a], 1e-14, 1e-300, "batched CV");
      for (PetscInt i = 0; i < n; i++) UMB_CHECK_CLOSE(JB[(p * d + a) * n + i], J[a * n + i], 1e-14, 1e-300, "batched CV gradient");
    }
  }
  PetscCall(PetscFree5(X, Z, JB, xp, J));
  PetscCall(UmbCVDestroy(&cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every CV type that applies to the model */
static PetscErrorCode CheckAllCVs(UmbModel m, const char *label, int config)
{
  const PetscInt n = m->n;
  char           last[16], w1[2048] = "", w2[4096] = "";
  UmbStream      s;
  double         g[128];

  PetscFunctionBegin;
  PetscCheck(2 * n <= 128, PETSC_COMM_SELF, PETSC_ERR_SUP, "test supports n <= 64");
  snprintf(last, sizeof(last), "%d", (int)(n - 1));
  UmbStreamInit(&s, 201, UMB_STREAM_TEST, 1000 + (uint64_t)config);
  UmbStreamGaussian(&s, 0, 0, (int)(2 * n), g);
  for (PetscInt i = 0; i < 2 * n; i++) {
    char v[40];
    snprintf(v, sizeof(v), "%s%.17g", i ? "," : "", g[i]);
    if (i < n) strcat(w1, v);
    strcat(w2, v);
  }
  {
    const char *c1[] = {"-cv", "coord", "-cv_index", "0", NULL};
    const char *c2[] = {"-cv", "coord", "-cv_index", last, NULL};
    const char *c3[] = {"-cv", "coord", "-cv_index", "1,0", NULL};
    const char *c4[] = {"-cv", "linear", "-cv_weights", w1, NULL};
    const char *c5[] = {"-cv", "linear", "-cv_weights", w2, NULL};
    PetscCall(CheckCV(m, label, config, c1, 1));
    PetscCall(CheckCV(m, label, config, c2, 1));
    PetscCall(CheckCV(m, label, config, c3, 2));
    PetscCall(CheckCV(m, label, config, c4, 1));
    PetscCall(CheckCV(m, label, config, c5, 2));
  }
  if (m->native_d > 0) {
    const char *native[] = {"-cv", "native", NULL, NULL};
    const char *plugin[] = {"-cv", "plugin", NULL, NULL};
    PetscCall(CheckCV(m, label, config, strcmp(m->type, UMBMODELPLUGIN) ? native : plugin, m->native_d));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The ring's energy from its definition, with the full q = Q^T x */
static PetscReal RingEnergyDirect(const UmbRing *ring, const PetscReal x[])
{
  const PetscInt n = ring->n;
  PetscReal      q[64], r, th, a, U = 0;
  for (PetscInt j = 0; j < n; j++) {
    q[j] = 0;
    for (PetscInt i = 0; i < n; i++) q[j] += ring->Q[i * n + j] * x[i];
  }
  r  = PetscSqrtReal(q[0] * q[0] + q[1] * q[1]);
  th = atan2(q[1], q[0]);
  a  = (th / ring->theta0) * (th / ring->theta0) - 1;
  U  = 0.5 * ring->kr * (r - 1) * (r - 1) + ring->h * a * a;
  for (PetscInt j = 2; j < n; j++) U += 0.5 * ring->kf * q[j] * q[j];
  return U;
}

static PetscErrorCode CheckRing(UmbModel m, const char *label, int config)
{
  const UmbRing *ring = (const UmbRing *)m->data;
  const PetscInt n    = ring->n;
  PetscReal      err = 0, x[64], g[64], z, U, gmax = 0;

  PetscFunctionBegin;
  /* Q^T Q = I */
  for (PetscInt j = 0; j < n; j++)
    for (PetscInt l = 0; l < n; l++) {
      PetscReal dot = 0;
      for (PetscInt i = 0; i < n; i++) dot += ring->Q[i * n + j] * ring->Q[i * n + l];
      err = PetscMax(err, PetscAbsReal(dot - (j == l ? 1 : 0)));
    }
  UMB_CHECK(err < 1e-12, "%s: Q is not orthogonal: max |Q^T Q - I| = %g", label, (double)err);
  /* the energy is the defining formula */
  for (int p = 0; p < NPTS; p++) {
    TestPoint(m, config, p, x);
    PetscCall(UmbModelEnergyGradient(m, 1, x, &U, NULL));
    UMB_CHECK_CLOSE(U, RingEnergyDirect(ring, x), 1e-12, 1e-12, "ring energy vs its definition in q = Q^T x");
  }
  /* reference: theta = -theta0, r = 1, a stationary point */
  PetscCall(UmbModelNativeCV(m, 1, m->reference, &z, NULL));
  UMB_CHECK_CLOSE(z, -ring->theta0, 0, 1e-12, "ring: theta of the reference state");
  {
    PetscReal r2 = 0;
    for (PetscInt i = 0; i < n; i++) r2 += m->reference[i] * m->reference[i];
    UMB_CHECK_CLOSE(r2, 1, 0, 1e-12, "ring: |x|^2 of the reference state");
  }
  PetscCall(UmbModelEnergyGradient(m, 1, m->reference, &U, g));
  for (PetscInt i = 0; i < n; i++) gmax = PetscMax(gmax, PetscAbsReal(g[i]));
  UMB_CHECK(gmax < 1e-10 && PetscAbsReal(U) < 1e-12, "%s: reference is not the minimum: U = %g, |grad U| = %g", label, (double)U, (double)gmax);
  /* the period of theta */
  {
    PetscReal period[2];
    PetscCall(UmbModelGetNativeCVPeriod(m, period));
    UMB_CHECK_CLOSE(period[0], 2 * PETSC_PI, 0, 1e-15, "ring: period of theta");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Same seed, same Q; another seed, another Q */
static PetscErrorCode CheckRingSeeds(void)
{
  const char *a[] = {"-model", "ring", "-ring_n", "6", "-ring_seed", "3", NULL};
  const char *b[] = {"-model", "ring", "-ring_n", "6", "-ring_seed", "4", NULL};
  UmbModel    m1, m2, m3;
  PetscReal   same = 0, diff = 0;

  PetscFunctionBegin;
  PetscCall(CreateModel(a, &m1));
  PetscCall(CreateModel(a, &m2));
  PetscCall(CreateModel(b, &m3));
  for (PetscInt i = 0; i < 36; i++) {
    const PetscReal *Q1 = ((UmbRing *)m1->data)->Q, *Q2 = ((UmbRing *)m2->data)->Q, *Q3 = ((UmbRing *)m3->data)->Q;
    same = PetscMax(same, PetscAbsReal(Q1[i] - Q2[i]));
    diff = PetscMax(diff, PetscAbsReal(Q1[i] - Q3[i]));
  }
  UMB_CHECK(same == 0, "ring: the same -ring_seed gave different rotations (%g)", (double)same);
  UMB_CHECK(diff > 0.1, "ring: different -ring_seed gave (nearly) the same rotation (%g)", (double)diff);
  PetscCall(UmbModelDestroy(&m1));
  PetscCall(UmbModelDestroy(&m2));
  PetscCall(UmbModelDestroy(&m3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckMullerBrown(UmbModel m, const char *label)
{
  const UmbMullerBrown *mb = (const UmbMullerBrown *)m->data;
  PetscReal             g[2], U, x[2];
  const char           *name;

  PetscFunctionBegin;
  PetscCall(UmbModelEnergyGradient(m, 1, m->reference, &U, g));
  UMB_CHECK(PetscAbsReal(g[0]) + PetscAbsReal(g[1]) < 1e-8, "%s: reference is not stationary: grad V = (%g, %g)", label, (double)g[0], (double)g[1]);
  UMB_CHECK_CLOSE(m->reference[0], -0.558224, 0, 1e-6, "mullerbrown: reference x");
  UMB_CHECK_CLOSE(m->reference[1], 1.441726, 0, 1e-6, "mullerbrown: reference y");
  /* Mueller and Brown's deepest minimum, -146.699517 before scaling */
  UMB_CHECK_CLOSE(U, mb->scale * -146.699517, 1e-8, 0, "mullerbrown: V at the deepest minimum");
  /* the other minima and saddles are higher; the reference is the deepest minimum */
  for (int k = 1; k < 5; k++) {
    PetscReal Uk;
    TestPoint(m, 0, k, x);
    PetscCall(UmbModelEnergyGradient(m, 1, x, &Uk, NULL));
    UMB_CHECK(Uk > U + 1, "%s: point %d (%g, %g) is not above the reference", label, k, (double)x[0], (double)x[1]);
  }
  PetscCall(UmbModelGetCoordinateName(m, 0, &name));
  UMB_CHECK(!strcmp(name, "x"), "mullerbrown: coordinate 0 is named %s", name);
  PetscCall(UmbModelGetCoordinateName(m, 1, &name));
  UMB_CHECK(!strcmp(name, "y"), "mullerbrown: coordinate 1 is named %s", name);
  UMB_CHECK(m->native_d == 0, "mullerbrown has no native CV, got d = %d", (int)m->native_d);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* doublewell: U = h (x^2 - 1)^2 + (k/2)(y - c x)^2, reference (-1, -c), CV x */
static PetscErrorCode CheckDoubleWell(UmbModel m, PetscReal h, PetscReal k, PetscReal c)
{
  PetscReal   x[2] = {0.3, -0.7}, U, z, ref[2];
  const char *name;

  PetscFunctionBegin;
  PetscCall(UmbModelEnergyGradient(m, 1, x, &U, NULL));
  UMB_CHECK_CLOSE(U, h * (0.09 - 1) * (0.09 - 1) + 0.5 * k * (-0.7 - 0.3 * c) * (-0.7 - 0.3 * c), 1e-14, 0, "doublewell energy vs its formula");
  PetscCall(UmbModelGetReferenceState(m, ref));
  UMB_CHECK(ref[0] == -1 && ref[1] == -c, "doublewell reference (%g, %g)", (double)ref[0], (double)ref[1]);
  PetscCall(UmbModelNativeCV(m, 1, x, &z, NULL));
  UMB_CHECK(z == x[0], "doublewell CV %g", (double)z);
  UMB_CHECK(m->n == 2 && m->native_d == 1, "doublewell: n = %d, CV dimension %d", (int)m->n, (int)m->native_d);
  PetscCall(UmbModelGetCoordinateName(m, 1, &name));
  UMB_CHECK(!strcmp(name, "x2"), "plugin coordinate 1 is named %s", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  const char *build = getenv("BUILD");
  char        plugin[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  snprintf(plugin, sizeof(plugin), "%s/plugins/libdoublewell.so", build && build[0] ? build : "build");
  {
    const char *configs[][12] = {
      {"-model", "fastslow", NULL},
      {"-model", "fastslow", "-fastslow_m", "3", NULL},
      {"-model", "fastslow", "-fastslow_coupling", "tilted", NULL},
      {"-model", "fastslow", "-fastslow_coupling", "tilted", "-fastslow_m", "3", NULL},
      {"-model", "mullerbrown", NULL},
      {"-model", "mullerbrown", "-mb_scale", "1", NULL},
      {"-model", "ring", "-ring_n", "4", NULL},
      {"-model", "ring", NULL},
      {"-model", "ring", "-ring_n", "2", "-ring_seed", "5", "-ring_theta0", "1.1", NULL},
      {"-model", "plugin", "-model_plugin", plugin, NULL},
      {"-model", "plugin", "-model_plugin", plugin, "-model_plugin_options", "h=3, k=7 c=0.5", NULL},
    };
    const int nconfigs = (int)(sizeof(configs) / sizeof(configs[0]));

    for (int c = 0; c < nconfigs; c++) {
      UmbModel m;
      char     label[PETSC_MAX_PATH_LEN + 256] = "";
      for (int i = 0; configs[c][i]; i++) {
        if (i) strcat(label, " ");
        strcat(label, configs[c][i]);
      }
      PetscCall(CreateModel(configs[c], &m));
      PetscCall(CheckModelGradient(m, label, c));
      PetscCall(CheckAllCVs(m, label, c));
      if (!strcmp(m->type, UMBMODELRING)) PetscCall(CheckRing(m, label, c));
      if (!strcmp(m->type, UMBMODELMULLERBROWN)) PetscCall(CheckMullerBrown(m, label));
      if (!strcmp(m->type, UMBMODELPLUGIN)) PetscCall(configs[c][4] ? CheckDoubleWell(m, 3, 7, 0.5) : CheckDoubleWell(m, 2, 10, 0));
      UMB_NOTE("n = %2d, native CV d = %d: %s", (int)m->n, (int)m->native_d, label);
      PetscCall(UmbModelDestroy(&m));
    }
  }
  PetscCall(CheckRingSeeds());
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
