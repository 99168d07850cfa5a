/* ring: a 2-D ring with an angular double well plus n - 2 stiff harmonic coordinates, all
   rotated by a fixed seeded orthogonal matrix Q. In internal coordinates q = Q^T x,
   (q1, q2) = (r cos theta, r sin theta), theta = atan2(q2, q1) in (-pi, pi],
     U = (k_r/2)(r - 1)^2 + h ((theta/theta0)^2 - 1)^2 + (k_f/2) sum_{j>=3} q_j^2.
   Native CV: theta (period 2 pi). Exact: F(theta) = h ((theta/theta0)^2 - 1)^2 + c.
   Evaluation costs O(n) per state: with e1, e2 the first two columns of Q,
   q1 = e1.x, q2 = e2.x, and sum_{j>=3} q_j^2 = |w|^2 with w = x - q1 e1 - q2 e2 (Q is
   orthogonal), so grad U = dU/dq1 e1 + dU/dq2 e2 + k_f w. */
#include <umbra/private/modelimpl.h>
#include <umbra/private/ringimpl.h>
#include <umbra/rng.h>

static PetscErrorCode SetFromOptions_Ring(UmbModel m, PetscOptionItems *PetscOptionsObject)
{
  UmbRing *ring = (UmbRing *)m->data;
  char     v[64];

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "ring model");
  PetscCall(PetscOptionsInt("-ring_n", "Dimension n (a 2-D ring plus n - 2 stiff coordinates)", "", ring->n, &ring->n, NULL));
  PetscCall(PetscOptionsReal("-ring_h", "Barrier height h of the angular double well at theta = 0", "", ring->h, &ring->h, NULL));
  PetscCall(PetscOptionsReal("-ring_theta0", "Angle theta0 of the two minima at theta = +-theta0 (radians)", "", ring->theta0, &ring->theta0, NULL));
  PetscCall(PetscOptionsReal("-ring_kr", "Radial spring constant k_r", "", ring->kr, &ring->kr, NULL));
  PetscCall(PetscOptionsReal("-ring_kf", "Spring constant k_f of the n - 2 fast coordinates", "", ring->kf, &ring->kf, NULL));
  PetscCall(UmbOptionsInt64(PetscOptionsObject, "-ring_seed", "Seed of the random rotation Q", ring->seed, &ring->seed, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(ring->n >= 2, m->comm, PETSC_ERR_USER_INPUT, "-ring_n must be at least 2, got %" PetscInt_FMT, ring->n);
  snprintf(v, sizeof(v), "%g", (double)ring->h);
  PetscCheck(ring->h >= 0 && !PetscIsInfOrNanReal(ring->h), m->comm, PETSC_ERR_USER_INPUT, "-ring_h must be non-negative and finite, got %s", v);
  snprintf(v, sizeof(v), "%g", (double)ring->theta0);
  PetscCheck(ring->theta0 > 0 && ring->theta0 < PETSC_PI, m->comm, PETSC_ERR_USER_INPUT, "-ring_theta0 must lie in (0, pi), got %s", v);
  snprintf(v, sizeof(v), "%g", (double)ring->kr);
  PetscCheck(ring->kr > 0 && PetscIsNormalReal(ring->kr), m->comm, PETSC_ERR_USER_INPUT, "-ring_kr must be positive and finite, got %s", v);
  snprintf(v, sizeof(v), "%g", (double)ring->kf);
  PetscCheck(ring->kf > 0 && PetscIsNormalReal(ring->kf), m->comm, PETSC_ERR_USER_INPUT, "-ring_kf must be positive and finite, got %s", v);
  PetscCheck(ring->seed >= 0, m->comm, PETSC_ERR_USER_INPUT, "-ring_seed must be non-negative, got %" PetscInt64_FMT, ring->seed);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Q from the QR factorisation (positive diagonal of R) of an n x n matrix of standard normals:
   column j of that matrix is UmbStreamGaussian(stream(seed, UMB_STREAM_MODEL, 0), j, 0, n).
   Modified Gram-Schmidt, applied twice per column, in plain C so that every rank computes the
   same bits; rank 0's copy is broadcast all the same. */
static PetscErrorCode BuildRotation(UmbModel m, UmbRing *ring)
{
  const PetscInt n = ring->n;
  PetscReal     *A;
  UmbStream      stream;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(n * n, &A));
  UmbStreamInit(&stream, (uint64_t)ring->seed, UMB_STREAM_MODEL, 0);
  for (PetscInt j = 0; j < n; j++) UmbStreamGaussian(&stream, (uint64_t)j, 0, (int)n, A + j * n); /* A + j*n: column j */
  for (PetscInt j = 0; j < n; j++) {
    PetscReal *v = A + j * n, norm0 = 0, norm = 0;
    for (PetscInt i = 0; i < n; i++) norm0 += v[i] * v[i];
    for (int pass = 0; pass < 2; pass++)
      for (PetscInt l = 0; l < j; l++) {
        const PetscReal *u   = A + l * n;
        PetscReal        dot = 0;
        for (PetscInt i = 0; i < n; i++) dot += u[i] * v[i];
        for (PetscInt i = 0; i < n; i++) v[i] -= dot * u[i];
      }
    for (PetscInt i = 0; i < n; i++) norm += v[i] * v[i];
    PetscCheck(norm > 1e-20 * norm0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "ring: the random matrix for -ring_seed %" PetscInt64_FMT " is singular", ring->seed);
    norm = PetscSqrtReal(norm);
    for (PetscInt i = 0; i < n; i++) v[i] /= norm;
  }
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) ring->Q[i * n + j] = A[j * n + i];
  PetscCall(PetscFree(A));
  PetscCallMPI(MPI_Bcast(ring->Q, (PetscMPIInt)(n * n), MPIU_REAL, 0, m->comm));
  for (PetscInt i = 0; i < n; i++) {
    ring->e1[i] = ring->Q[i * n];
    ring->e2[i] = ring->Q[i * n + 1];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_Ring(UmbModel m)
{
  UmbRing       *ring = (UmbRing *)m->data;
  const PetscInt n    = ring->n;
  PetscReal      c = PetscCosReal(ring->theta0), s = -PetscSinReal(ring->theta0);

  PetscFunctionBegin;
  PetscCheck((PetscInt64)n * n < PETSC_MPI_INT_MAX, m->comm, PETSC_ERR_USER_INPUT, "-ring_n %" PetscInt_FMT " is too large", n);
  PetscCall(UmbModelAllocate(m, n));
  PetscCall(PetscMalloc3(n * n, &ring->Q, n, &ring->e1, n, &ring->e2));
  PetscCall(BuildRotation(m, ring));
  /* reference: the minimum theta = -theta0 on the circle r = 1, fast coordinates zero: x = Q q */
  for (PetscInt i = 0; i < n; i++) m->reference[i] = c * ring->e1[i] + s * ring->e2[i];
  m->bound            = 1e3;
  m->native_d         = 1;
  m->native_period[0] = 2 * PETSC_PI;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode EnergyGradient_Ring(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *U, PetscReal *G)
{
  const UmbRing  *ring = (const UmbRing *)m->data;
  const PetscInt  n    = ring->n;
  const PetscReal *e1 = ring->e1, *e2 = ring->e2, it0 = 1 / ring->theta0;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    const PetscReal *x  = X + k * n;
    PetscReal        q1 = 0, q2 = 0, w2 = 0, r, th, a, u;
    for (PetscInt i = 0; i < n; i++) {
      q1 += e1[i] * x[i];
      q2 += e2[i] * x[i];
    }
    r  = PetscSqrtReal(q1 * q1 + q2 * q2);
    th = PetscAtan2Real(q2, q1);
    a  = th * th * it0 * it0 - 1;
    u  = 0.5 * ring->kr * (r - 1) * (r - 1) + ring->h * a * a;
    if (G) {
      PetscReal       *g    = G + k * n;
      const PetscReal  dUdt = 4 * ring->h * a * th * it0 * it0;
      PetscReal        g1 = 0, g2 = 0;
      if (r > 0) {
        const PetscReal dUdr = ring->kr * (r - 1), ir = 1 / r;
        g1 = dUdr * q1 * ir - dUdt * q2 * ir * ir;
        g2 = dUdr * q2 * ir + dUdt * q1 * ir * ir;
      }
      for (PetscInt i = 0; i < n; i++) {
        const PetscReal wi = x[i] - q1 * e1[i] - q2 * e2[i];
        w2 += wi * wi;
        g[i] = g1 * e1[i] + g2 * e2[i] + ring->kf * wi;
      }
    } else if (U) {
      for (PetscInt i = 0; i < n; i++) {
        const PetscReal wi = x[i] - q1 * e1[i] - q2 * e2[i];
        w2 += wi * wi;
      }
    }
    if (U) U[k] = u + 0.5 * ring->kf * w2;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* theta = atan2(q2, q1) with gradient (-q2 e1 + q1 e2) / r^2 */
static PetscErrorCode NativeCV_Ring(UmbModel m, PetscInt nw, const PetscReal *X, PetscReal *z, PetscReal *J)
{
  const UmbRing  *ring = (const UmbRing *)m->data;
  const PetscInt  n    = ring->n;
  const PetscReal *e1 = ring->e1, *e2 = ring->e2;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < nw; k++) {
    const PetscReal *x  = X + k * n;
    PetscReal        q1 = 0, q2 = 0;
    for (PetscInt i = 0; i < n; i++) {
      q1 += e1[i] * x[i];
      q2 += e2[i] * x[i];
    }
    z[k] = PetscAtan2Real(q2, q1);
    if (J) {
      const PetscReal r2 = q1 * q1 + q2 * q2, c1 = r2 > 0 ? -q2 / r2 : 0, c2 = r2 > 0 ? q1 / r2 : 0;
      for (PetscInt i = 0; i < n; i++) J[k * n + i] = c1 * e1[i] + c2 * e2[i];
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode View_Ring(UmbModel m, PetscViewer v)
{
  UmbRing *ring = (UmbRing *)m->data;
  char     line[256];

  PetscFunctionBegin;
  snprintf(line, sizeof(line), "ring: n = %" PetscInt_FMT ", h = %g, theta0 = %g, k_r = %g, k_f = %g, rotation seed %" PetscInt64_FMT "\n", ring->n, (double)ring->h, (double)ring->theta0, (double)ring->kr, (double)ring->kf, ring->seed);
  PetscCall(PetscViewerASCIIPrintf(v, "%s", line));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_Ring(UmbModel m)
{
  UmbRing *ring = (UmbRing *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscFree3(ring->Q, ring->e1, ring->e2));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbModelCreate_Ring(UmbModel m)
{
  UmbRing *ring;

  PetscFunctionBegin;
  PetscCall(PetscNew(&ring));
  ring->n               = 10;
  ring->h               = 2.0;
  ring->theta0          = PETSC_PI / 4;
  ring->kr              = 100.0;
  ring->kf              = 100.0;
  ring->seed            = 1;
  m->data               = ring;
  m->ops.setfromoptions = SetFromOptions_Ring;
  m->ops.setup          = SetUp_Ring;
  m->ops.energygradient = EnergyGradient_Ring;
  m->ops.nativecv       = NativeCV_Ring;
  m->ops.view           = View_Ring;
  m->ops.destroy        = Destroy_Ring;
  PetscFunctionReturn(PETSC_SUCCESS);
}
