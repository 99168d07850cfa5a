/* Fuzz target: the campaign record that `umbra run` reads back from its run directory.
   Input: the text of stages.csv, a NUL byte, the text of campaign.opts (either may be empty;
   without the NUL there is no campaign.opts). */
#include "fuzz.h"
#include <umbra/private/campaign.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  FuzzStart();
  /* a few current options, so the comparison with the record has both sides */
  if (PetscOptionsInsertString(NULL, "-model fastslow -us_dt 0.01 -fes_bins 20 -restart")) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
  ierr = UmbCampaignCreate(PETSC_COMM_SELF, fuzz_dir, &c);
  if (!ierr) ierr = UmbCampaignDifference(c, all, why, sizeof(why));
  if (!ierr) ierr = UmbCampaignFingerprint(c, all, fp);
  if (!ierr) ierr = UmbCampaignFindStatus(c, UMB_STAGE_CHECKPOINTED, &stage);
  if (!ierr) ierr = UmbCampaignGetStage(c, "fes", NULL, NULL, NULL);
  if (c && UmbCampaignDestroy(&c)) abort();
  FuzzFinish(ierr, "the campaign record");
  return 0;
}
