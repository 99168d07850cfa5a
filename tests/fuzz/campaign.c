/* Fuzz target: the campaign record that `umbra run` reads back from its run directory.
   Input: the text of stages.csv, a NUL byte, the text of campaign.opts (either may be empty;
   without the NUL there is no campaign.opts). A damaged record is refused with nothing left
   allocated: PETSc's allocations are counted while the record is read, and every block must be
   freed again. */
#include "fuzz.h"
#include <umbra/private/campaign.h>

static PetscErrorCode (*sys_malloc)(size_t, PetscBool, int, const char[], const char[], void **);
static PetscErrorCode (*sys_free)(void *, int, const char[], const char[]);
static PetscErrorCode (*sys_realloc)(size_t, int, const char[], const char[], void **);
static long live; /* blocks allocated and not yet freed */

static PetscErrorCode CountMalloc(size_t n, PetscBool clear, int line, const char fn[], const char file[], void **p)
{
  PetscErrorCode ierr = sys_malloc(n, clear, line, fn, file, p);
  if (!ierr && *p) live++;
  return ierr;
}

static PetscErrorCode CountFree(void *p, int line, const char fn[], const char file[])
{
  if (p) live--;
  return sys_free(p, line, fn, file);
}

static PetscErrorCode CountRealloc(size_t n, int line, const char fn[], const char file[], void **p)
{
  long           was  = *p != NULL;
  PetscErrorCode ierr = sys_realloc(n, line, fn, file, p);
  if (!ierr) live += (*p != NULL) - was;
  return ierr;
}

/* The record data through every reader of it; aborts if memory stays allocated */
static PetscErrorCode ReadRecord(const uint8_t *data, size_t size)
{
  static const char *const all[] = {"-", NULL};
  const uint8_t           *nul   = memchr(data, 0, size);
  size_t                   n1    = nul ? (size_t)(nul - data) : size;
  char                     path[PETSC_MAX_PATH_LEN], why[512], fp[UMB_FINGERPRINT_LEN];
  UmbCampaign              c = NULL;
  PetscErrorCode           ierr;
  const char              *stage;

  FuzzWriteFile("stages.csv", data, n1, path, sizeof(path));
  if (nul) FuzzWriteFile("campaign.opts", nul + 1, size - n1 - 1, path, sizeof(path));
  else {
    snprintf(path, sizeof(path), "%s/campaign.opts", fuzz_dir);
    unlink(path);
  }
  sys_malloc = PetscTrMalloc, sys_free = PetscTrFree, sys_realloc = PetscTrRealloc;
  PetscTrMalloc = CountMalloc, PetscTrFree = CountFree, PetscTrRealloc = CountRealloc, live = 0;
  ierr = UmbCampaignCreate(PETSC_COMM_SELF, fuzz_dir, &c);
  if (!ierr) ierr = UmbCampaignDifference(c, all, why, sizeof(why));
  if (!ierr) ierr = UmbCampaignFingerprint(c, all, fp);
  if (!ierr) ierr = UmbCampaignFindStatus(c, UMB_STAGE_CHECKPOINTED, &stage);
  if (!ierr) ierr = UmbCampaignGetStage(c, "fes", NULL, NULL, NULL);
  if (c && UmbCampaignDestroy(&c)) abort();
  PetscTrMalloc = sys_malloc, PetscTrFree = sys_free, PetscTrRealloc = sys_realloc;
  if (live) {
    fprintf(stderr, "fuzz: the campaign record %s the input and left %ld blocks allocated\n", ierr ? "refused" : "accepted", live);
    abort();
  }
  return ierr;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FuzzStart();
  /* a few current options, so the comparison with the record has both sides */
  if (PetscOptionsInsertString(NULL, "-model fastslow -us_dt 0.01 -fes_bins 20 -restart")) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FuzzFinish(ReadRecord(data, size), "the campaign record");
  return 0;
}
