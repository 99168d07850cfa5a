/* lammps model on alanine dipeptide (inputs/ala2, AMBER99SB-ILDN in vacuum):
   - the single-point energy of the reference structure (GROMACS's em.gro) equals GROMACS 2022.5
     in double precision, -85.715309 kJ/mol, and each term its own within 1e-4 kJ/mol (the
     terms as LAMMPS groups them: proper + improper dihedrals in edihed, LJ-14 + LJ(SR) in evdwl,
     Coulomb-14 + Coulomb(SR) in ecoul). The data file reproduces them to 3e-6 (inputs/ala2).
   - the gradient against central finite differences at the reference and at perturbed states:
     h = 1e-5 A; truncation h^2 |U'''| / 6 and round-off eps |U| / h are both below 1e-7
     kcal/mol/A here, the tolerance 1e-5 (1 + |g|) is a hundred times above them, and a wrong
     unit, sign or atom order gives errors of the size of the gradient.
   - the forces and energy the dynamics sees (the engine's force field plus the umbrella force
     of fix external's callback) equal -(grad U + grad W) and U + W, with W the harmonic bias on
     phi, centred so that phi - centre wraps across the periodic boundary; and -grad (U + W)
     against finite differences of U + W.
   - the energy and gradient of a state do not depend on where the molecule sits in the
     periodic box (states shifted by up to half a box length).
   - saved frames: the reference structure rotated and shifted at random comes back onto itself
     (centre of mass at the origin, Kabsch alignment) to 1e-10 A.
   - one LAMMPS instance shared by all ranks (UmbModelSetEngineComm, at 2 and 3 ranks: the
     molecule split over the ranks' domains, the phi atoms too in two states): the leader's energy, gradient, and forces and energy
     with the umbrella force equal the one-rank instance's to 1e-9 (only the order of the sums
     differs), and the ranks are back on their own instances after it.
   Would catch: wrong units or unit conversions, a lost image flag, a bias force of the wrong
   sign or not wrapped at the periodic boundary, an energy of the bias not reported. */
// TEST: nsize=1,2,3
#include "tap.h"
#include <umbra/private/modelimpl.h>
#include <umbra/rng.h>

#define KJ 4.184

typedef struct {
  UmbCV     cv;
  PetscReal center, kappa;
} BiasCtx;

static PetscErrorCode Bias(void *ctx, const PetscReal x[], PetscReal *W, PetscReal g[])
{
  BiasCtx  *b = (BiasCtx *)ctx;
  PetscReal z, J[66];

  PetscFunctionBegin;
  PetscCall(UmbBiasAdd(b->cv, &b->center, &b->kappa, 1, x, g, W, &z, J));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Save(void *ctx, PetscInt64 step, const PetscReal x[])
{
  PetscFunctionBegin;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The states xs (ns x 66) through one instance on all ranks against the one-rank instance */
static PetscErrorCode GroupCheck(UmbModel m, BiasCtx *b, PetscInt ns, const PetscReal xs[])
{
  PetscMPIInt rank, size;
  UmbDynamics dyn;
  PetscReal   U1[6], G1[6 * 66], pe1[6], F1[6 * 66], U, g[66], pe, f[66], worst = 0;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  if (size == 1) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMemzero(&dyn, sizeof(dyn)));
  dyn.bias = Bias;
  dyn.save = Save;
  dyn.ctx  = b;
  dyn.save_first  = 1000000;
  dyn.save_stride = 1;
  for (PetscInt k = 0; k < ns; k++) {
    PetscCall(UmbModelEnergyGradient(m, 1, xs + 66 * k, &U1[k], G1 + 66 * k));
    PetscCall(UmbModelLammpsBiasedForces(m, &dyn, xs + 66 * k, &pe1[k], F1 + 66 * k));
  }
  PetscCall(UmbModelSetEngineComm(m, PETSC_COMM_WORLD));
  if (rank == 0) {
    for (PetscInt k = 0; k < ns; k++) {
      PetscCall(UmbModelEnergyGradient(m, 1, xs + 66 * k, &U, g));
      PetscCall(UmbModelLammpsBiasedForces(m, &dyn, xs + 66 * k, &pe, f));
      UMB_CHECK_CLOSE(U, U1[k], 0, 1e-9, "energy through the shared instance");
      UMB_CHECK_CLOSE(pe, pe1[k], 0, 1e-9, "energy with the umbrella through the shared instance");
      for (int i = 0; i < 66; i++) {
        worst = PetscMax(worst, PetscMax(PetscAbsReal(g[i] - G1[66 * k + i]), PetscAbsReal(f[i] - F1[66 * k + i])));
        UMB_CHECK_CLOSE(g[i], G1[66 * k + i], 0, 1e-9, "gradient through the shared instance");
        UMB_CHECK_CLOSE(f[i], F1[66 * k + i], 0, 1e-9, "force with the umbrella through the shared instance");
      }
    }
    UMB_NOTE("one instance on %d ranks: %d states, largest difference of gradients and forces %.3g", size, (int)ns, (double)worst);
    PetscCall(UmbModelEngineRelease(m));
  } else PetscCall(UmbModelEngineServe(m));
  PetscCall(UmbModelSetEngineComm(m, PETSC_COMM_SELF));
  PetscCall(UmbModelEnergyGradient(m, 1, xs, &U, NULL));
  UMB_CHECK(U == U1[0], "back on the rank's own instance: energy %.17g, before %.17g", (double)U, (double)U1[0]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(void)
{
  UmbModel        m;
  UmbCV           cv;
  PetscInt        n;
  PetscReal       x0[66], x[66], xs[6 * 66], g[66], gw[66], f[66], terms[6], U, W, pe, z, J[66];
  const PetscReal gmx[6] = {2.179724, 4.805364, 49.129953 + 0.057298, 0, 11.802598 - 3.816753, 194.748405 - 344.621898};
  const char     *names[6] = {"bond", "angle", "dihedral", "improper", "van der Waals", "Coulomb"};
  UmbStream       st;
  BiasCtx         b;
  UmbDynamics     dyn;
  const char     *src = getenv("SRCDIR");
  char            input[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  snprintf(input, sizeof(input), "%s/inputs/ala2/ala2.in", src ? src : ".");
  PetscCall(PetscOptionsSetValue(NULL, "-model", "lammps"));
  PetscCall(PetscOptionsSetValue(NULL, "-lammps_input", input));
  PetscCall(UmbModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(UmbModelSetFromOptions(m));
  PetscCall(UmbModelSetUp(m));
  PetscCall(UmbModelGetDimension(m, &n));
  UMB_CHECK(n == 66, "22 atoms give n = 66, got %d", (int)n);
  PetscCall(UmbModelGetReferenceState(m, x0));

  /* single point, term by term, in kJ/mol */
  PetscCall(UmbModelLammpsEnergyTerms(m, x0, terms));
  PetscCall(UmbModelEnergyGradient(m, 1, x0, &U, NULL));
  for (int t = 0; t < 6; t++) {
    UMB_NOTE("%-14s LAMMPS %12.6f  GROMACS %12.6f kJ/mol", names[t], (double)(KJ * terms[t]), (double)gmx[t]);
    UMB_CHECK_CLOSE(KJ * terms[t], gmx[t], 0, 1e-4, names[t]);
  }
  UMB_NOTE("potential      LAMMPS %12.6f  GROMACS %12.6f kJ/mol", (double)(KJ * U), -85.715309);
  UMB_CHECK_CLOSE(KJ * U, -85.715309, 0, 1e-4, "potential energy");

  /* the phi bias, centred opposite the reference's phi: the difference wraps */
  PetscCall(PetscOptionsSetValue(NULL, "-cv", "dihedral"));
  PetscCall(PetscOptionsSetValue(NULL, "-cv_atoms", "5,7,9,15"));
  PetscCall(UmbCVCreate(m, &cv));
  PetscCall(UmbCVSetFromOptions(cv));
  PetscCall(UmbCVSetUp(cv));
  PetscCall(UmbCVEvaluate(cv, 1, x0, &z, NULL));
  UMB_NOTE("reference phi = %.4f deg", (double)(z * 180 / PETSC_PI));
  UMB_CHECK_CLOSE(z * 180 / PETSC_PI, -80, 0, 15, "reference phi near the built -80 deg");
  b.cv     = cv;
  b.kappa  = 25;
  b.center = z > 0 ? z - PETSC_PI + 0.2 : z + PETSC_PI - 0.2;
  PetscCall(PetscMemzero(&dyn, sizeof(dyn)));
  dyn.bias = Bias;
  dyn.save = Save;
  dyn.ctx  = &b;
  dyn.save_first = 1000000;
  dyn.save_stride = 1;

  UmbStreamInit(&st, 241, UMB_STREAM_TEST, 0);
  for (int p = 0; p < 4; p++) {
    PetscReal gx[66], maxg = 0, worst = 0, worstb = 0, shift[3];
    int       worst_i = 0;

    /* the reference (p = 0), then perturbed states; the whole molecule shifted by up to half a box */
    UmbStreamGaussian(&st, (uint64_t)p, 0, 66, gx);
    UmbStreamGaussian(&st, (uint64_t)p, 1, 3, shift);
    for (int i = 0; i < 66; i++) x[i] = x0[i] + (p ? 0.05 * gx[i] + 10 * shift[i % 3] : 0);
    PetscCall(PetscArraycpy(xs + 66 * p, x, 66));
    PetscCall(UmbModelEnergyGradient(m, 1, x, &U, g));
    for (int i = 0; i < 66; i++) maxg = PetscMax(maxg, PetscAbsReal(g[i]));
    for (int i = 0; i < 66; i++) {
      const PetscReal h = 1e-5;
      PetscReal       xp[66], Up, Um, Wp, Wm, fd;
      PetscCall(PetscArraycpy(xp, x, 66));
      xp[i] = x[i] + h;
      PetscCall(UmbModelEnergyGradient(m, 1, xp, &Up, NULL));
      PetscCall(UmbBiasAdd(cv, &b.center, &b.kappa, 1, xp, NULL, &Wp, &z, J));
      xp[i] = x[i] - h;
      PetscCall(UmbModelEnergyGradient(m, 1, xp, &Um, NULL));
      PetscCall(UmbBiasAdd(cv, &b.center, &b.kappa, 1, xp, NULL, &Wm, &z, J));
      fd = (Up - Um) / (2 * h);
      if (PetscAbsReal(fd - g[i]) > worst) {
        worst   = PetscAbsReal(fd - g[i]);
        worst_i = i;
      }
      /* the biased force of the dynamics against the finite difference of U + W */
      PetscCall(PetscArrayzero(gw, 66));
      PetscCall(UmbBiasAdd(cv, &b.center, &b.kappa, 1, x, gw, &W, &z, J));
      worstb = PetscMax(worstb, PetscAbsReal((Up + Wp - Um - Wm) / (2 * h) - (g[i] + gw[i])));
    }
    UMB_NOTE("state %d: U = %.6f kcal/mol, max |grad U| %.4g, largest FD difference %.3g (coordinate %d), of U + W %.3g", p, (double)U, (double)maxg, (double)worst, worst_i, (double)worstb);
    UMB_CHECK(worst <= 1e-5 * (1 + maxg), "state %d: gradient vs finite differences off by %.3g at coordinate %d", p, (double)worst, worst_i);
    UMB_CHECK(worstb <= 1e-5 * (1 + maxg), "state %d: grad (U + W) vs finite differences off by %.3g", p, (double)worstb);

    /* what the dynamics sees: the engine's forces with the callback's umbrella force */
    PetscCall(PetscArrayzero(gw, 66));
    PetscCall(UmbBiasAdd(cv, &b.center, &b.kappa, 1, x, gw, &W, &z, J));
    UMB_CHECK(PetscAbsReal(UmbCVDifference(cv, 0, z, b.center)) > 0.5, "state %d: the bias should be far from its centre", p);
    PetscCall(UmbModelLammpsBiasedForces(m, &dyn, x, &pe, f));
    UMB_CHECK_CLOSE(pe, U + W, 1e-12, 1e-9, "engine energy = U + W");
    for (int i = 0; i < 66; i++) UMB_CHECK_CLOSE(f[i], -(g[i] + gw[i]), 1e-10, 1e-9, "engine force = -grad (U + W)");

    /* the same state anywhere in the periodic box has the same energy and gradient */
    if (p) {
      PetscReal xs[66], gs[66], Us;
      for (int i = 0; i < 66; i++) xs[i] = x[i] - 10 * shift[i % 3];
      PetscCall(UmbModelEnergyGradient(m, 1, xs, &Us, gs));
      UMB_CHECK_CLOSE(Us, U, 1e-12, 1e-9, "energy independent of the molecule's place in the box");
      for (int i = 0; i < 66; i++) UMB_CHECK_CLOSE(gs[i], g[i], 1e-9, 1e-9, "gradient independent of the molecule's place in the box");
    }
  }
  /* and two states whose phi atoms straddle the planes between the ranks' domains (the box centre
     for 2 ranks, a sixth of the 50 A box from it for 3), so that the umbrella force acts on atoms
     of several ranks */
  for (int k = 0; k < 2; k++) {
    const int phi[4] = {5, 7, 9, 15};
    PetscReal c[3] = {0, 0, 0};
    for (int a = 0; a < 4; a++)
      for (int d = 0; d < 3; d++) c[d] += 0.25 * xs[66 + 3 * (phi[a] - 1) + d];
    for (int i = 0; i < 66; i++) xs[66 * (4 + k) + i] = xs[66 + i] - c[i % 3] + (k ? 50.0 / 6 : 0);
  }
  PetscCall(GroupCheck(m, &b, 6, xs));
  /* saved frames: a rotated and shifted reference comes back onto the reference (Kabsch) */
  for (int p = 0; p < 3; p++) {
    PetscReal q[4], nq = 0, R[9], xr[66], shift[3];
    UmbStreamGaussian(&st, 100 + (uint64_t)p, 0, 4, q);
    UmbStreamGaussian(&st, 100 + (uint64_t)p, 1, 3, shift);
    for (int a = 0; a < 4; a++) nq += q[a] * q[a];
    for (int a = 0; a < 4; a++) q[a] /= PetscSqrtReal(nq);
    R[0] = 1 - 2 * (q[2] * q[2] + q[3] * q[3]), R[1] = 2 * (q[1] * q[2] - q[0] * q[3]), R[2] = 2 * (q[1] * q[3] + q[0] * q[2]);
    R[3] = 2 * (q[1] * q[2] + q[0] * q[3]), R[4] = 1 - 2 * (q[1] * q[1] + q[3] * q[3]), R[5] = 2 * (q[2] * q[3] - q[0] * q[1]);
    R[6] = 2 * (q[1] * q[3] - q[0] * q[2]), R[7] = 2 * (q[2] * q[3] + q[0] * q[1]), R[8] = 1 - 2 * (q[1] * q[1] + q[2] * q[2]);
    for (int i = 0; i < 22; i++)
      for (int a = 0; a < 3; a++) xr[3 * i + a] = R[3 * a] * x0[3 * i] + R[3 * a + 1] * x0[3 * i + 1] + R[3 * a + 2] * x0[3 * i + 2] + 5 * shift[a];
    PetscCall(UmbModelCanonicalFrame(m, 1, xr));
    for (int i = 0; i < 66; i++) UMB_CHECK_CLOSE(xr[i], x0[i], 0, 1e-10, "rotated reference aligned back");
  }
  PetscCall(UmbCVDestroy(&cv));
  PetscCall(UmbModelDestroy(&m));
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
