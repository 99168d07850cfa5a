/* Adam and the reductions of data-parallel training.
   1. Adam: three steps on f(t) = t0^4/4 + 3 t1^2/2 from (1, -2) with lr 0.1, betas (0.9, 0.999),
      eps 1e-8 against values computed by hand with the textbook formulas
      (m_hat / (sqrt(v_hat) + eps)); they differ from PyTorch's operation order only by round-off
      (tolerance 1e-13 relative). Catches a missing bias correction (step 1 would move by
      lr * 0.1 instead of lr), swapped betas, eps in the wrong place (visible at step 1 in t0).
   2. UmbNNSumExact: 37 vectors with magnitudes from 1e-300 to 1e12 spread over the ranks in two
      different ways (blocks, round robin) give bit-for-bit the sum computed on one rank alone,
      and agree with a compensated (Kahan-Babuska) sum within the fixed-point resolution: each
      term is rounded to a multiple of 2^-k with 2^-k <= 2^(c-61) times the largest magnitude in
      its segment (2^c >= 37 vectors), so |error| <= 37 * 2^(c-62) * max + 1 rounding to double. A NaN on one rank is
      reported on every rank. Catches a scale that depends on the local data, an overflow of the
      fixed-point accumulator, a lost segment.
   3. UmbNNHash: equal arrays hash equally, a change in the last bit of one value changes it. */
// TEST: nsize=1,2,3
#include "tap.h"
#include <umbra/nn.h>

static PetscErrorCode CheckAdam(void)
{
  UmbAdam         a;
  PetscReal       th[2] = {1, -2}, g[2], *m, *v;
  PetscInt64      t;
  const PetscReal want[3][4] = {
    {0.900000001, -1.9000000001666666, 0.09999999999999998, 0.03600000000000003},
    {0.8020136511703235, -1.800166485947237, 0.16290000024299994, 0.06845400000570005},
    {0.7075128180498822, -1.7006233917912488, 0.19819759520974412, 0.097550940399843},
  };

  PetscFunctionBegin;
  PetscCall(UmbAdamCreate(2, 0.1, 0.9, 0.999, 1e-8, &a));
  for (int k = 0; k < 3; k++) {
    g[0] = th[0] * th[0] * th[0];
    g[1] = 3 * th[1];
    PetscCall(UmbAdamStep(a, th, g));
    PetscCall(UmbAdamGetState(a, NULL, &t, &m, &v));
    UMB_CHECK(t == k + 1, "Adam step count %lld after %d steps", (long long)t, k + 1);
    UMB_CHECK_CLOSE(th[0], want[k][0], 1e-13, 0, "Adam theta0");
    UMB_CHECK_CLOSE(th[1], want[k][1], 1e-13, 0, "Adam theta1");
    UMB_CHECK_CLOSE(m[0], want[k][2], 1e-13, 0, "Adam m0");
    UMB_CHECK_CLOSE(v[1], want[k][3], 1e-13, 0, "Adam v1");
  }
  PetscCall(UmbAdamDestroy(&a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define NV  37
#define LEN 11

static PetscErrorCode CheckExactSum(void)
{
  PetscMPIInt     rank, size;
  PetscReal       all[NV][LEN], local[NV][LEN], ref[LEN], got[LEN], got2[LEN];
  const PetscInt  seg[4] = {0, 3, 7, LEN};
  const PetscReal scales[LEN] = {1e-300, 1e-8, 1, 1, 1e3, 1e-3, 7, 1e12, 1e12, 0.5, 1e-150};
  UmbStream       s;
  PetscInt        nloc;
  PetscBool       finite;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  UmbStreamInit(&s, 3, UMB_STREAM_TEST, 7);
  for (int i = 0; i < NV; i++)
    for (int j = 0; j < LEN; j++) {
      double gg[4];
      UmbStreamGaussian4(&s, (uint64_t)i, (uint64_t)j, 0, gg);
      all[i][j] = scales[j] * gg[0] * (1 + 100 * (i % 5 == 0));
    }
  PetscCall(UmbNNSumExact(PETSC_COMM_SELF, NV, LEN, 3, seg, &all[0][0], NV, ref, &finite));
  UMB_CHECK(finite, "finite data reported non-finite");
  /* compensated reference */
  for (int j = 0; j < LEN; j++) {
    long double sum = 0, c = 0;
    for (int i = 0; i < NV; i++) {
      long double t = sum + all[i][j];
      if (fabsl(sum) >= fabsl(all[i][j])) c += (sum - t) + all[i][j];
      else c += (all[i][j] - t) + sum;
      sum = t;
    }
    {
      /* each of the NV terms is rounded to a multiple of 2^-k, 2^-k <= 2^(c-61) max|segment| with
         NV <= 2^c = 64; then one rounding to double */
      PetscReal mx = 0;
      int       sg = j < seg[1] ? 0 : j < seg[2] ? 1 : 2;
      for (int i = 0; i < NV; i++)
        for (int jj = (int)seg[sg]; jj < (int)seg[sg + 1]; jj++) mx = PetscMax(mx, PetscAbsReal(all[i][jj]));
      UMB_CHECK_CLOSE(ref[j], (double)(sum + c), 2.3e-16, NV * ldexp(mx, 6 - 62), "exact sum vs compensated sum");
    }
  }
  /* blocks */
  nloc = 0;
  for (int i = NV * rank / size; i < NV * (rank + 1) / size; i++, nloc++) PetscCall(PetscArraycpy(local[nloc], all[i], LEN));
  PetscCall(UmbNNSumExact(PETSC_COMM_WORLD, nloc, LEN, 3, seg, &local[0][0], NV, got, &finite));
  /* round robin */
  nloc = 0;
  for (int i = rank; i < NV; i += size, nloc++) PetscCall(PetscArraycpy(local[nloc], all[i], LEN));
  PetscCall(UmbNNSumExact(PETSC_COMM_WORLD, nloc, LEN, 3, seg, &local[0][0], NV, got2, &finite));
  for (int j = 0; j < LEN; j++) {
    UMB_CHECK(got[j] == ref[j], "entry %d: blocks over %d ranks %.17g, one rank %.17g", j, size, (double)got[j], (double)ref[j]);
    UMB_CHECK(got2[j] == ref[j], "entry %d: round robin over %d ranks %.17g, one rank %.17g", j, size, (double)got2[j], (double)ref[j]);
  }
  /* a NaN on the last rank only */
  if (rank == size - 1) local[0][5] = NAN;
  PetscCall(UmbNNSumExact(PETSC_COMM_WORLD, nloc, LEN, 3, seg, &local[0][0], NV, got, &finite));
  UMB_CHECK(!finite, "a NaN on rank %d was not reported on rank %d", size - 1, rank);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckHash(void)
{
  PetscReal a[5] = {1, 2, 3, 4, 5}, b[5] = {1, 2, 3, 4, 5};

  PetscFunctionBegin;
  UMB_CHECK(UmbNNHash(5, a) == UmbNNHash(5, b), "equal arrays, different hashes");
  b[4] = nextafter(b[4], 10.0);
  UMB_CHECK(UmbNNHash(5, a) != UmbNNHash(5, b), "one ulp changed, same hash");
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;

  ierr = UmbInitialize(&argc, &argv, NULL);
  if (ierr) return UmbFinalize(ierr);
  PetscFunctionBeginUser;
  PetscCall(CheckAdam());
  PetscCall(CheckExactSum());
  PetscCall(CheckHash());
  PetscFunctionReturn(UmbTestFinalize(0));
}
