/* The record of a campaign in its run directory (umbra run):
   <dir>/stages.csv     stage,status,seconds,fingerprint: what is done or checkpointed, and with
                        which options (the fingerprint hashes the options a stage depends on)
   <dir>/campaign.opts  those options, readable, so that a changed fingerprint can name the option.
   Both are read on rank 0 and broadcast, and written atomically together. */
#ifndef UMBRA_CAMPAIGN_H
#define UMBRA_CAMPAIGN_H

#include <umbra/io.h>

typedef enum { UMB_STAGE_NONE, UMB_STAGE_DONE, UMB_STAGE_CHECKPOINTED } UmbStageStatus;

#define UMB_FINGERPRINT_LEN 17 /* 16 hex digits and the terminator */

typedef struct _p_UmbCampaign *UmbCampaign;

/* Collective. Reads the record of dir (if any) and takes the current options, without those that
   do not change results (-out, -restart, -run_*, logging, checkpoint intervals, ...). */
PETSC_INTERN PetscErrorCode UmbCampaignCreate(MPI_Comm, const char dir[], UmbCampaign *);
PETSC_INTERN PetscErrorCode UmbCampaignDestroy(UmbCampaign *);
/* Whether dir had a stages.csv */
PETSC_INTERN PetscErrorCode UmbCampaignHasRecord(UmbCampaign, PetscBool *);
/* The first recorded stage with this status, or NULL */
PETSC_INTERN PetscErrorCode UmbCampaignFindStatus(UmbCampaign, UmbStageStatus, const char **);

/* Option patterns: "-name" matches that option, "-prefix_" every option starting so; the list
   ends with NULL. */
PETSC_INTERN PetscBool      UmbCampaignMatches(const char name[], const char *const patterns[]);
/* Hash of the current options matching the patterns */
PETSC_INTERN PetscErrorCode UmbCampaignFingerprint(UmbCampaign, const char *const patterns[], char fp[UMB_FINGERPRINT_LEN]);
/* The first option matching the patterns whose current value differs from campaign.opts, in
   words ("-gan_epochs is 40 here but 20 in the record"); empty when none differs. */
PETSC_INTERN PetscErrorCode UmbCampaignDifference(UmbCampaign, const char *const patterns[], char why[], size_t);

/* A stage's record; status UMB_STAGE_NONE when there is none */
PETSC_INTERN PetscErrorCode UmbCampaignGetStage(UmbCampaign, const char stage[], UmbStageStatus *, double *seconds, const char **fingerprint);
PETSC_INTERN PetscErrorCode UmbCampaignSetStage(UmbCampaign, const char stage[], UmbStageStatus, double seconds, const char fingerprint[]);
/* Forgets a stage's record (NULL: every stage); *removed tells whether there was one */
PETSC_INTERN PetscErrorCode UmbCampaignClearStage(UmbCampaign, const char stage[], PetscBool *removed);
/* Collective. Writes stages.csv and campaign.opts (the current options) atomically. */
PETSC_INTERN PetscErrorCode UmbCampaignWrite(UmbCampaign);

#endif
