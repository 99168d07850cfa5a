/* Internal coordinates of alanine dipeptide around its phi (and phi, psi) dihedrals
   (UmbZMatrix, src/generator/zmatrix.c), the chart of the flow on molecules:
   - the table: 22 atoms, 3 N - 6 - d generated coordinates; every atom is placed on a bonded
     neighbour (the spanning tree of the reference structure recovers the 21 bonds: each
     parent within 1.6 Angstrom); the CV's dihedral is the table's.
   - round trips to 1e-10: Project then Embed at the state's own CV value gives the state back
     up to a rigid motion (RMSD after superposition), for the reference and for perturbed,
     rotated and shifted states; Embed at any z in (-pi, pi] (and at 90 and -170 degrees with
     -cv_angle_unit degree) lies on its level set (the CV of the state is z) and projects back
     onto its y; Replace sets y and keeps z; the 2-D chart (phi, psi) the same.
   - the volume element: det of d x / d(translation, rotation, z, y) over exp(LogVolume(y)) is
     the same constant for different states to 1e-6 relative (finite differences; a volume
     element without the sin(angle) factors or with r instead of r^2 varies by percents).
   Would catch: a wrong placement formula or dihedral sign (states off the level set), a
   dihedral wrapped inconsistently between Project and Embed, a wrong volume element. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/generatorcommon.h>
#include <umbra/private/modelimpl.h>
#include <umbra/rng.h>
#include <petscblaslapack.h>

#define N 22
#define NX (3 * N)

static PetscErrorCode Setup(const char cvopts[], UmbModel *m, UmbCV *cv)
{
  const char *src = getenv("SRCDIR");
  char        input[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  snprintf(input, sizeof(input), "%s/inputs/ala2/ala2.in", src ? src : ".");
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(PetscOptionsSetValue(NULL, "-model", "lammps"));
  PetscCall(PetscOptionsSetValue(NULL, "-lammps_input", input));
  PetscCall(PetscOptionsSetValue(NULL, "-lammps_log", "none"));
  PetscCall(PetscOptionsInsertString(NULL, cvopts));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(UmbModelSetFromOptions(*m));
  PetscCall(UmbModelSetUp(*m));
  PetscCall(UmbCVCreate(*m, cv));
  PetscCall(UmbCVSetFromOptions(*cv));
  PetscCall(UmbCVSetUp(*cv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* RMSD of x against ref after centring both and superposing x onto ref (unit masses) */
static PetscErrorCode RMSD(const PetscReal ref[], const PetscReal x[], PetscReal *rmsd)
{
  PetscReal a[NX], b[NX], mass[N], c[2][3] = {{0}}, s = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < N; i++) {
    mass[i] = 1;
    for (int k = 0; k < 3; k++) c[0][k] += ref[3 * i + k] / N, c[1][k] += x[3 * i + k] / N;
  }
  for (PetscInt i = 0; i < N; i++)
    for (int k = 0; k < 3; k++) a[3 * i + k] = ref[3 * i + k] - c[0][k], b[3 * i + k] = x[3 * i + k] - c[1][k];
  PetscCall(UmbAlignToReference(N, mass, a, b));
  for (PetscInt i = 0; i < NX; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  *rmsd = PetscSqrtReal(s / N);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* x rotated by the rotation vector w and shifted by t */
static void Move(const PetscReal w[3], const PetscReal t[3], PetscReal x[])
{
  const PetscReal th = PetscSqrtReal(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), k[3] = {w[0] / th, w[1] / th, w[2] / th};
  for (PetscInt i = 0; i < N; i++) { /* Rodrigues */
    PetscReal *p = x + 3 * i, kxp[3] = {k[1] * p[2] - k[2] * p[1], k[2] * p[0] - k[0] * p[2], k[0] * p[1] - k[1] * p[0]};
    PetscReal  kp = k[0] * p[0] + k[1] * p[1] + k[2] * p[2], q[3];
    for (int c = 0; c < 3; c++) q[c] = p[c] * PetscCosReal(th) + kxp[c] * PetscSinReal(th) + k[c] * kp * (1 - PetscCosReal(th));
    for (int c = 0; c < 3; c++) p[c] = q[c] + t[c];
  }
}

/* log |det dx/d(t, w, z, y)| at w = 0, t = 0 for the state Embed(z, y) */
static PetscErrorCode LogDet(const UmbGenSpace *sp, const PetscReal z[], const PetscReal y[], PetscReal *ld)
{
  const PetscInt d = sp->d, ng = sp->ng;
  PetscReal      A[NX * NX], x0[NX], xp[NX], xm[NX], zz[2], yy[NX], h = 1e-6;
  PetscBLASInt   n = NX, ipiv[NX], info;

  PetscFunctionBegin;
  UmbGenSpaceEmbed(sp, z, y, x0);
  for (PetscInt i = 0; i < N; i++)
    for (int a = 0; a < 3; a++) {
      const PetscReal e[3] = {a == 0, a == 1, a == 2}, *p = x0 + 3 * i;
      const PetscReal ex[3] = {e[1] * p[2] - e[2] * p[1], e[2] * p[0] - e[0] * p[2], e[0] * p[1] - e[1] * p[0]};
      for (int c = 0; c < 3; c++) {
        A[(3 * i + c) * NX + a]     = e[c];  /* translation */
        A[(3 * i + c) * NX + 3 + a] = ex[c]; /* rotation */
      }
    }
  for (PetscInt col = 0; col < d + ng; col++) {
    for (int sgn = 0; sgn < 2; sgn++) {
      PetscCall(PetscArraycpy(zz, z, d));
      PetscCall(PetscArraycpy(yy, y, ng));
      if (col < d) zz[col] += sgn ? -h : h;
      else yy[col - d] += sgn ? -h : h;
      UmbGenSpaceEmbed(sp, zz, yy, sgn ? xm : xp);
    }
    for (PetscInt r = 0; r < NX; r++) A[r * NX + 6 + col] = (xp[r] - xm[r]) / (2 * h);
  }
  PetscCallBLAS("LAPACKgetrf", LAPACKgetrf_(&n, &n, A, &n, ipiv, &info));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "getrf: %d", (int)info);
  *ld = 0;
  for (PetscInt i = 0; i < NX; i++) *ld += PetscLogReal(PetscAbsReal(A[i * NX + i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Check(const char cvopts[], PetscInt d)
{
  UmbModel    m;
  UmbCV       cv;
  UmbGenSpace sp;
  PetscReal   x0[NX], x[NX], x2[NX], y[NX], y2[NX], z[2], z2[2], rmsd = 0, period[2], ratio0 = 0;
  UmbStream   s;

  PetscFunctionBegin;
  PetscCall(Setup(cvopts, &m, &cv));
  PetscCall(UmbCVGetPeriod(cv, period));
  PetscCall(UmbGenSpaceCreate(cv, PETSC_TRUE, &sp));
  UMB_CHECK(sp.zm, "%s: no internal coordinates: %s", cvopts, sp.why);
  if (!sp.zm) {
    PetscCall(UmbGenSpaceDestroy(&sp));
    PetscCall(UmbCVDestroy(&cv));
    PetscCall(UmbModelDestroy(&m));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  UMB_CHECK(sp.ng == NX - 6 - d && sp.zm->nplaced == N, "%s: %d generated, %d placed", cvopts, (int)sp.ng, (int)sp.zm->nplaced);
  PetscCall(UmbModelGetReferenceState(m, x0));
  for (PetscInt p = 1; p < N; p++) {
    const PetscInt i = sp.zm->atom[p], j = sp.zm->atom[sp.zm->ref[3 * p]];
    PetscReal      r = 0;
    for (int c = 0; c < 3; c++) r += (x0[3 * i + c] - x0[3 * j + c]) * (x0[3 * i + c] - x0[3 * j + c]);
    UMB_CHECK(PetscSqrtReal(r) < 1.6, "%s: atom %d placed on atom %d, %.3f Angstrom away: not a bond", cvopts, (int)i + 1, (int)j + 1, (double)PetscSqrtReal(r));
  }
  UmbStreamInit(&s, 249, 0, (uint64_t)d);
  for (PetscInt k = 0; k < 6; k++) {
    PetscReal g[NX], w[3], t[3];
    UmbStreamGaussian(&s, 0, (uint64_t)k, NX, g);
    UmbStreamGaussian(&s, 1, (uint64_t)k, 3, w);
    UmbStreamGaussian(&s, 2, (uint64_t)k, 3, t);
    for (PetscInt i = 0; i < NX; i++) x[i] = x0[i] + (k ? 0.05 : 0) * g[i];
    if (k) Move(w, t, x);
    PetscCall(UmbCVEvaluate(cv, 1, x, z, NULL));
    UmbGenSpaceProject(&sp, x, y);
    UmbGenSpaceEmbed(&sp, z, y, x2);
    PetscCall(RMSD(x, x2, &rmsd));
    UMB_CHECK(rmsd < 1e-10, "%s: state %d: Embed(xi(x), Project(x)) is %.3g Angstrom from x", cvopts, (int)k, (double)rmsd);
    /* any CV value: on the level set, and projecting back */
    for (PetscInt a = 0; a < d; a++) z2[a] = period[a] * (g[a] > 0 ? 0.5 : -0.5) * PetscAbsReal(PetscSinReal(7 * g[a + 2]));
    if (k == 1 && period[0] == 360) z2[0] = 90, z2[d - 1] = -170;
    UmbGenSpaceEmbed(&sp, z2, y, x2);
    PetscCall(UmbCVEvaluate(cv, 1, x2, z, NULL));
    UmbGenSpaceProject(&sp, x2, y2);
    for (PetscInt a = 0; a < d; a++) UMB_CHECK_CLOSE(UmbCVDifference(cv, a, z[a], z2[a]), 0, 0, 1e-10 * period[a], "CV of an embedded state");
    for (PetscInt j = 0; j < sp.ng; j++) UMB_CHECK_CLOSE(y2[j], y[j], 0, 1e-10, "Project(Embed(z, y))");
    /* Replace: the state's y from another state, its own z */
    PetscCall(UmbCVEvaluate(cv, 1, x, z, NULL));
    UmbGenSpaceProject(&sp, x0, y2);
    PetscCall(PetscArraycpy(x2, x, NX));
    UmbGenSpaceReplace(&sp, y2, x2);
    PetscCall(UmbCVEvaluate(cv, 1, x2, z2, NULL));
    UmbGenSpaceProject(&sp, x2, y);
    for (PetscInt a = 0; a < d; a++) UMB_CHECK_CLOSE(UmbCVDifference(cv, a, z2[a], z[a]), 0, 0, 1e-10 * period[a], "Replace keeps z");
    for (PetscInt j = 0; j < sp.ng; j++) UMB_CHECK_CLOSE(y[j], y2[j], 0, 1e-10, "Replace sets y");
    /* the volume element */
    {
      PetscReal ld, ratio;
      PetscCall(UmbCVEvaluate(cv, 1, x, z, NULL));
      UmbGenSpaceProject(&sp, x, y);
      PetscCall(LogDet(&sp, z, y, &ld));
      ratio = ld - UmbZMatrixLogVolume(sp.zm, y);
      if (!k) ratio0 = ratio;
      else UMB_CHECK_CLOSE(ratio, ratio0, 0, 1e-6, "log det(dx/d(rigid, z, y)) - log J(y) is not constant");
    }
  }
  PetscCall(UmbGenSpaceDestroy(&sp));
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  PetscFunctionBegin;
  PetscCall(Check("-cv dihedral -cv_atoms 5,7,9,15", 1));
  PetscCall(Check("-cv dihedral -cv_atoms 5,7,9,15 -cv_angle_unit degree", 1));
  PetscCall(Check("-cv dihedral -cv_atoms 5,7,9,15,7,9,15,17", 2));
  PetscCall(Check("-cv dihedral -cv_atoms 5,7,9,15,17,15,9,7", 2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
#if !defined(UMBRA_HAVE_LAMMPS)
  printf("umbra was built without LAMMPS\n");
  (void)Run;
  PetscCall(UmbFinalize(0));
  return 77;
#else
  ierr = Run();
  return UmbTestFinalize(ierr);
#endif
}
