/* Equally spaced windows of one kappa (src/fes/mbar.c, UniformTerms): a point's terms are the
   products T_k r^(k - k0) instead of exponentials. Against the general path on the same points,
   every pass output stays within the bound the code states: per term a relative error below
   1e-14 (spacing) + 64 units of 2^-52 (powers), plus 4 units for the general path's exp(). So
   S_k (a sum of positive terms, each times m/s) differs by at most 3 times that relatively,
   ln sum_k by once that absolutely (plus the rounding of its own size). PP_kl (pair sums from
   the moments, UniformMoments) may differ by 3 times that relatively plus the pairs the general
   path leaves out: those with a factor below 2^-60, at most 2^-60 (S_k + S_l) together (and
   terms below the cutoff, far less). The products keep every term of a row; the general path
   leaves out those below 2^-64 / K of a point's largest, so a bin sum G_bk may differ by that
   much of wsum_b besides.
   Cases: 60 windows with about 40 within reach of a point (h = 1/8, spacing 1); points beyond
   both ends (they take the general path); free energies so steep that rows are refused
   (A_k > 40) and the general path takes over; the replica and bin passes; centres 1e-6 off equal
   spacing (the products refused) and 1e-16 off (accepted).
   Catches: a wrong power (r^(j+1)), the running factor advanced twice or started at the wrong
   power, a row centred on the wrong window, a row too short for its band, terms relative to
   another window than the one the log-normaliser names; in the pair sums a moment taken one
   place off, a wrong r^(-2J), a missing 1/s. */
// TEST: nsize=1
#include "tap.h"
#include <umbra/private/fesimpl.h>
#include <math.h>

#define K  60
#define NW 400

static uint64_t st = 88172645463325252ULL;

static double Uniform01(void)
{
  st ^= st << 13, st ^= st >> 7, st ^= st << 17; /* xorshift64 */
  return ((double)(st >> 11) + 0.5) * 0x1p-53;
}

static double Gauss(void)
{
  return sqrt(-2 * log(Uniform01())) * cos(2 * PETSC_PI * Uniform01());
}

#define R 3
typedef struct {
  PetscInt64 taken;
  PetscReal obj, S[K], PP[K * K], lse[K * NW + 2], wsum[8], G[8 * K], w2[8], SR[K * R], FB[8 * R];
} Out;

/* replica multiplicities 1..3 of group grp's points */
static PetscErrorCode Mult(void *ctx, PetscInt grp, PetscInt nr, PetscReal M[])
{
  const PetscInt64 *gptr = (const PetscInt64 *)ctx;
  for (PetscInt64 i = 0; i < gptr[grp + 1] - gptr[grp]; i++)
    for (PetscInt r = 0; r < nr; r++) M[i * nr + r] = 1 + (i + r + grp) % 3;
  return PETSC_SUCCESS;
}

static PetscErrorCode Passes(UmbMbar *mb, PetscBool uni, const PetscReal f[], const PetscInt bin[], Out *o)
{
  static PetscReal E[K * R], M[(NW + 2) * R];

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt r = 0; r < R; r++) E[k * R + r] = exp(0.1 * (r + 1) * sin(k));
  PetscCall(UmbMbarSetUniformPath(mb, uni));
  mb->lse      = o->lse;
  mb->nuniform = 0;
  PetscCall(UmbMbarPass(mb, f, &o->obj, o->S, o->PP));
  o->taken = mb->nuniform;
  PetscCall(UmbMbarBinSums(mb, f, bin, 8, 0, o->wsum, o->G, o->w2));
  mb->lse = NULL;
  PetscCall(UmbMbarReplicaPass(mb, f, R, E, Mult, (void *)mb->gptr, M, bin, 8, 0, o->SR, o->FB));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double Rel(double a, double b)
{
  return a == b ? 0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  const double   E = 1e-14 + 68 * 0x1p-52; /* per term: spacing + powers + the general exp() */
  PetscReal      c[K], h[K], z[K * NW + 2], f[K], Nk[K];
  PetscInt64     gptr[K + 1];
  PetscInt       bin[K * NW + 2];
  UmbMbar       *mb;
  static Out     A, B;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < K; k++) {
    c[k]  = k;
    h[k]  = 0.125;
    Nk[k] = NW;
    for (PetscInt i = 0; i < NW; i++) z[k * NW + i] = k + 2 * Gauss();
    gptr[k] = (PetscInt64)k * NW;
  }
  z[K * NW]     = -15; /* beyond both ends: general path */
  z[K * NW + 1] = K + 14;
  gptr[K]       = K * NW + 2;
  Nk[K - 1] += 2;
  for (PetscInt n = 0; n < K * NW + 2; n++) bin[n] = (PetscInt)(z[n] / 8 + 1) % 8;
  PetscCall(UmbMbarCreate(PETSC_COMM_SELF, K, 1, c, h, NULL, &mb));
  UMB_CHECK(mb->uniform, "equally spaced windows of one h not recognised");
  PetscCall(UmbMbarSetPoints(mb, K, gptr, z, NULL));
  PetscCall(UmbMbarSetCounts(mb, Nk));
  for (PetscInt cs = 0; cs < 3; cs++) {
    double  eS = 0, eP = 0, eL = 0, eO, eB = 0, lmax = 0;
    PetscInt64 taken;
    for (PetscInt k = 0; k < K; k++) f[k] = cs == 0 ? 0 : cs == 1 ? 3 * sin(0.3 * k) + 0.5 * Gauss() : 4.5 * k; /* 4.5 k: A_k up to 90 within reach */
    PetscCall(Passes(mb, PETSC_TRUE, f, bin, &A));
    taken = A.taken;
    PetscCall(Passes(mb, PETSC_FALSE, f, bin, &B));
    UMB_CHECK(mb->nuniform == 0, "the general path took the products");
    for (PetscInt k = 0; k < K; k++) {
      eS = fmax(eS, Rel(A.S[k], B.S[k]));
      for (PetscInt l = 0; l < K; l++) eP = fmax(eP, fabs(A.PP[k * K + l] - B.PP[k * K + l]) / (3 * E * fabs(B.PP[k * K + l]) + 0x1p-59 * (B.S[k] + B.S[l])));
    }
    for (PetscInt n = 0; n < K * NW + 2; n++) {
      eL   = fmax(eL, fabs(A.lse[n] - B.lse[n]));
      lmax = fmax(lmax, fabs(B.lse[n]));
    }
    for (PetscInt b = 0; b < 8; b++) {
      eB = fmax(eB, fmax(Rel(A.wsum[b], B.wsum[b]), Rel(A.w2[b], B.w2[b])));
      for (PetscInt k = 0; k < K; k++) /* the general path leaves out terms below 2^-64 / K of a point's largest */
        eB = fmax(eB, fabs(A.G[b * K + k] - B.G[b * K + k]) / (fmax(fabs(A.G[b * K + k]), fabs(B.G[b * K + k])) + 0x1p-64 / (4 * E) * B.wsum[b]));
      for (PetscInt r = 0; r < R; r++) eB = fmax(eB, Rel(A.FB[b * R + r], B.FB[b * R + r]));
    }
    for (PetscInt i = 0; i < K * R; i++) eS = fmax(eS, Rel(A.SR[i], B.SR[i]));
    eO = fabs(A.obj - B.obj) / (K * NW + 2);
    UMB_NOTE("case %" PetscInt_FMT ": %" PetscInt64_FMT " of %d points by products; largest differences: S and replica S %.3g, PP %.3g of its bound, ln sum %.3g, objective per point %.3g, bin sums %.3g (bound per term %.3g)", cs, taken, K * NW + 2, eS, eP, eL, eO, eB, E);
    if (cs < 2) UMB_CHECK(taken >= K * NW - 2 * NW && taken <= K * NW, "%" PetscInt64_FMT " points by products", taken);
    else UMB_CHECK(taken < K * NW / 2 && taken > 0, "steep f: %" PetscInt64_FMT " points by products (rows with large A_k must be refused)", taken);
    UMB_CHECK(eS <= 3 * E, "S: relative difference %.3g > %.3g", eS, 3 * E);
    UMB_CHECK(eP <= 1, "PP: difference %.3g times its bound", eP);
    UMB_CHECK(eL <= E + 4 * 0x1p-52 * lmax, "ln sum_k: difference %.3g > %.3g", eL, E + 4 * 0x1p-52 * lmax);
    UMB_CHECK(eO <= 2 * E + 1e-15, "objective per point: difference %.3g", eO);
    UMB_CHECK(eB <= 4 * E, "bin and replica bin sums: relative difference %.3g > %.3g", eB, 4 * E);
  }
  PetscCall(UmbMbarDestroy(&mb));
  { /* spacing: 1e-6 off equal is refused, one rounding unit off is accepted */
    PetscReal c2[K];
    for (PetscInt k = 0; k < K; k++) c2[k] = k * 0.1 + (k == 17 ? 1e-6 : 0);
    PetscCall(UmbMbarCreate(PETSC_COMM_SELF, K, 1, c2, h, NULL, &mb));
    UMB_CHECK(!mb->uniform, "centres 1e-6 off equal spacing taken as equally spaced");
    PetscCall(UmbMbarDestroy(&mb));
    for (PetscInt k = 0; k < K; k++) c2[k] = -1.6 + k * (3.2 / (K - 1));
    PetscCall(UmbMbarCreate(PETSC_COMM_SELF, K, 1, c2, h, NULL, &mb));
    UMB_CHECK(mb->uniform, "centres of a linspace not taken as equally spaced");
    PetscCall(UmbMbarDestroy(&mb));
    h[5] = 0.13;
    PetscCall(UmbMbarCreate(PETSC_COMM_SELF, K, 1, c, h, NULL, &mb));
    UMB_CHECK(!mb->uniform, "windows of different h taken as uniform");
    PetscCall(UmbMbarDestroy(&mb));
  }
  PetscFunctionReturn(UmbTestFinalize(0));
}
