/* In-program checks for C tests: count failures, print the first ones with rank and line,
   reduce the count over ranks at the end and exit non-zero if any check failed. */
#ifndef UMBRA_TESTS_TAP_H
#define UMBRA_TESTS_TAP_H

#include <umbra.h>

static int umb_test_errors = 0;

#define UMB_CHECK(cond, ...) \
  do { \
    if (!(cond)) { \
      int r_; \
      MPI_Comm_rank(PETSC_COMM_WORLD, &r_); \
      if (umb_test_errors++ < 20) { \
        fprintf(stderr, "[rank %d] %s:%d: check failed: %s: ", r_, __FILE__, __LINE__, #cond); \
        fprintf(stderr, __VA_ARGS__); \
        fprintf(stderr, "\n"); \
      } \
    } \
  } while (0)

/* |a - b| <= atol + rtol |b| */
#define UMB_CHECK_CLOSE(a, b, rtol, atol, what) \
  do { \
    double a_ = (double)(a), b_ = (double)(b); \
    UMB_CHECK(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_), "%s: %.15g vs %.15g (diff %.3g, rtol %g, atol %g)", what, a_, b_, fabs(a_ - b_), (double)(rtol), (double)(atol)); \
  } while (0)

/* Prints a note on rank 0 (shown by the runner when the test fails) */
#define UMB_NOTE(...) \
  do { \
    int r_; \
    MPI_Comm_rank(PETSC_COMM_WORLD, &r_); \
    if (!r_) { \
      printf("# "); \
      printf(__VA_ARGS__); \
      printf("\n"); \
      fflush(stdout); \
    } \
  } while (0)

/* Ends a test: every rank returns the same exit code */
static inline int UmbTestFinalize(PetscErrorCode ierr)
{
  int total = 0;
  if (!ierr) {
    MPI_Allreduce(&umb_test_errors, &total, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD);
    if (total) {
      int r;
      MPI_Comm_rank(PETSC_COMM_WORLD, &r);
      if (!r) printf("# %d failed checks\n", total);
    }
  }
  {
    int code = UmbFinalize(ierr);
    return code ? code : (total ? 1 : 0);
  }
}

#endif
