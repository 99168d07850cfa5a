/* The record of a campaign: stages.csv and campaign.opts in the run directory (see
   include/umbra/private/campaign.h). Rank 0 reads the files and broadcasts their text, so every
   rank takes the same decisions. */
#include <umbra/private/campaign.h>
#include <errno.h>

typedef struct {
  char          *name, *value; /* value "" for a flag without one */
} Option;

typedef struct {
  char           stage[32];
  UmbStageStatus status;
  double         seconds;
  char           fingerprint[UMB_FINGERPRINT_LEN];
} StageRecord;

struct _p_UmbCampaign {
  MPI_Comm    comm;
  char        stages_path[PETSC_MAX_PATH_LEN], opts_path[PETSC_MAX_PATH_LEN];
  PetscBool   had_record;
  PetscInt    nstages, ncur, nrec;
  StageRecord stages[64];
  Option     *cur, *rec; /* current options and those of campaign.opts, sorted by name */
};

/* Options that do not change any result: where results go, logging, checks, how often to
   checkpoint and when to stop, restart bookkeeping */
static const char *const neutral[] = {"-out", "-restart", "-run_overwrite", "-run_iterations", "-options_", "-progress_interval", "-help", "-log_", "-error_", "-malloc_", "-memory_view", "-objects_dump", "-us_stability_check", "-us_chunk_steps", "-gan_drift_interval", "-gan_loss_limit", "-fes_overlap_warn", NULL};

static PetscBool Neutral(const char name[])
{
  /* the checkpoint cadence and stop point of any long stage (-gan_checkpoint_interval,
     -us_stop_step, -fes_stop_replica, ...) */
  if (strstr(name, "_checkpoint_") || strstr(name, "_stop_")) return PETSC_TRUE;
  return UmbCampaignMatches(name, neutral);
}

PetscBool UmbCampaignMatches(const char name[], const char *const patterns[])
{
  for (const char *const *p = patterns; *p; p++) {
    size_t len = strlen(*p);
    if ((*p)[len - 1] == '_' ? !strncmp(name, *p, len) : !strcmp(name, *p)) return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

static int CompareOptions(const void *a, const void *b) { return strcmp(((const Option *)a)->name, ((const Option *)b)->name); }

static PetscErrorCode AddOption(Option **list, PetscInt *n, const char name[], const char value[])
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < *n; i++) /* the last value given wins, as in the options database */
    if (!strcmp((*list)[i].name, name)) {
      PetscCall(PetscFree((*list)[i].value));
      PetscCall(PetscStrallocpy(value, &(*list)[i].value));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCall(PetscRealloc(sizeof(Option) * (size_t)(*n + 1), list));
  PetscCall(PetscStrallocpy(name, &(*list)[*n].name));
  PetscCall(PetscStrallocpy(value, &(*list)[*n].value));
  (*n)++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The options database as given, without the neutral options. PetscOptionsGetAll joins names
   and values with blanks, so a word is taken as an option name only if the database has it;
   its value is then asked for by name (values may hold blanks). */
static PetscErrorCode CurrentOptions(UmbCampaign c)
{
  char *all, *save = NULL;

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetAll(NULL, &all));
  for (char *w = strtok_r(all, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
    PetscBool has;
    char      value[4096] = "";
    if (w[0] != '-' || !((w[1] >= 'a' && w[1] <= 'z') || (w[1] >= 'A' && w[1] <= 'Z')) || Neutral(w)) continue;
    PetscCall(PetscOptionsHasName(NULL, NULL, w, &has));
    if (!has) continue;
    PetscCall(PetscOptionsGetString(NULL, NULL, w, value, sizeof(value), NULL));
    PetscCall(AddOption(&c->cur, &c->ncur, w, value));
  }
  PetscCall(PetscFree(all));
  if (c->ncur) qsort(c->cur, (size_t)c->ncur, sizeof(Option), CompareOptions); /* qsort(NULL, 0) is undefined */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The text of a file read on rank 0 (NULL when it does not exist) */
static PetscErrorCode ReadText(MPI_Comm comm, const char path[], char **text)
{
  PetscMPIInt rank;
  long        len = -1;
  FILE       *f   = NULL;

  PetscFunctionBegin;
  *text = NULL;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank && (f = fopen(path, "r"))) {
    if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) len = -2;
  } else if (!rank && errno != ENOENT) len = -2;
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_LONG, 0, comm));
  if (len == -2 && f) fclose(f);
  PetscCheck(len != -2, comm, PETSC_ERR_FILE_READ, "cannot read %s", path);
  if (len < 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscCalloc1((size_t)len + 1, text));
  if (f) {
    int ok = fread(*text, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) len = -2;
  }
  PetscCallMPI(MPI_Bcast(&len, 1, MPI_LONG, 0, comm));
  if (len == -2) PetscCall(PetscFree(*text));
  PetscCheck(len != -2, comm, PETSC_ERR_FILE_READ, "cannot read %s", path);
  PetscCallMPI(MPI_Bcast(*text, (PetscMPIInt)len, MPI_CHAR, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *const status_names[] = {"none", "done", "checkpointed"};

static PetscErrorCode ParseStages(UmbCampaign c, char *text)
{
  char *save = NULL;

  PetscFunctionBegin;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    StageRecord r;
    char        status[16];
    if (line[0] == '#' || !strncmp(line, "stage,", 6)) continue;
    PetscCheck(sscanf(line, "%31[^,],%15[^,],%lf,%16s", r.stage, status, &r.seconds, r.fingerprint) == 4, c->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: cannot read the line '%s' (stage,status,seconds,fingerprint)", c->stages_path, line);
    if (!strcmp(status, "done")) r.status = UMB_STAGE_DONE;
    else if (!strcmp(status, "checkpointed")) r.status = UMB_STAGE_CHECKPOINTED;
    else SETERRQ(c->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: stage %s has the status '%s' (done or checkpointed)", c->stages_path, r.stage, status);
    PetscCall(UmbCampaignSetStage(c, r.stage, r.status, r.seconds, r.fingerprint));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* campaign.opts: comment lines, then one option a line: the name, a blank, the value */
static PetscErrorCode ParseOptions(UmbCampaign c, char *text)
{
  char *save = NULL;

  PetscFunctionBegin;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *value;
    if (line[0] != '-') continue;
    value = strchr(line, ' ');
    if (value) *value++ = 0;
    PetscCall(AddOption(&c->rec, &c->nrec, line, value ? value : ""));
  }
  if (c->nrec) qsort(c->rec, (size_t)c->nrec, sizeof(Option), CompareOptions);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Reads a file of the record with parse (nothing if it does not exist) */
static PetscErrorCode ReadFile(UmbCampaign c, const char path[], PetscErrorCode (*parse)(UmbCampaign, char *), PetscBool *exists)
{
  char          *text;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCall(ReadText(c->comm, path, &text));
  if (exists) *exists = text ? PETSC_TRUE : PETSC_FALSE;
  if (text) ierr = parse(c, text);
  PetscCall(PetscFree(text));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignCreate(MPI_Comm comm, const char dir[], UmbCampaign *out)
{
  UmbCampaign    c;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscNew(&c));
  c->comm = comm;
  PetscCall(UmbPathJoin(dir, "stages.csv", c->stages_path, sizeof(c->stages_path)));
  PetscCall(UmbPathJoin(dir, "campaign.opts", c->opts_path, sizeof(c->opts_path)));
  ierr = CurrentOptions(c);
  if (!ierr) ierr = ReadFile(c, c->stages_path, ParseStages, &c->had_record);
  if (!ierr) ierr = ReadFile(c, c->opts_path, ParseOptions, NULL);
  if (ierr) PetscCall(UmbCampaignDestroy(&c)); /* a damaged record: nothing stays allocated */
  PetscCall(ierr);
  *out = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FreeOptions(Option **list, PetscInt n)
{
  PetscFunctionBegin;
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscFree((*list)[i].name));
    PetscCall(PetscFree((*list)[i].value));
  }
  PetscCall(PetscFree(*list));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignDestroy(UmbCampaign *cp)
{
  PetscFunctionBegin;
  if (!*cp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(FreeOptions(&(*cp)->cur, (*cp)->ncur));
  PetscCall(FreeOptions(&(*cp)->rec, (*cp)->nrec));
  PetscCall(PetscFree(*cp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignHasRecord(UmbCampaign c, PetscBool *has)
{
  PetscFunctionBegin;
  *has = c->had_record;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignFindStatus(UmbCampaign c, UmbStageStatus status, const char **stage)
{
  PetscFunctionBegin;
  *stage = NULL;
  for (PetscInt i = 0; i < c->nstages && !*stage; i++)
    if (c->stages[i].status == status) *stage = c->stages[i].stage;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* FNV-1a, 64 bits: stable across platforms and runs */
static uint64_t Hash(uint64_t h, const char *s)
{
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
  return (h ^ 0xff) * UINT64_C(0x100000001b3); /* terminator: "ab","c" differs from "a","bc" */
}

PetscErrorCode UmbCampaignFingerprint(UmbCampaign c, const char *const patterns[], char fp[UMB_FINGERPRINT_LEN])
{
  uint64_t h = UINT64_C(0xcbf29ce484222325);

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->ncur; i++)
    if (UmbCampaignMatches(c->cur[i].name, patterns)) h = Hash(Hash(h, c->cur[i].name), c->cur[i].value);
  snprintf(fp, UMB_FINGERPRINT_LEN, "%016llx", (unsigned long long)h);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void Describe(const Option *o, char buf[], size_t len)
{
  if (o->value[0]) snprintf(buf, len, "%s", o->value);
  else snprintf(buf, len, "given (no value)");
}

PetscErrorCode UmbCampaignDifference(UmbCampaign c, const char *const patterns[], char why[], size_t len)
{
  PetscInt i = 0, j = 0;
  char     a[256], b[256];

  PetscFunctionBegin;
  why[0] = 0;
  while (!why[0] && (i < c->ncur || j < c->nrec)) { /* merge the two sorted lists */
    const Option *o = i < c->ncur ? &c->cur[i] : NULL, *r = j < c->nrec ? &c->rec[j] : NULL;
    int           cmp = !o ? 1 : !r ? -1 : strcmp(o->name, r->name);
    if (cmp < 0) {
      Describe(o, a, sizeof(a));
      if (UmbCampaignMatches(o->name, patterns)) snprintf(why, len, "%s is %s here but not given in the record", o->name, a);
      i++;
    } else if (cmp > 0) {
      Describe(r, b, sizeof(b));
      if (UmbCampaignMatches(r->name, patterns)) snprintf(why, len, "%s is %s in the record but not given here", r->name, b);
      j++;
    } else {
      Describe(o, a, sizeof(a));
      Describe(r, b, sizeof(b));
      if (strcmp(o->value, r->value) && UmbCampaignMatches(o->name, patterns)) snprintf(why, len, "%s is %s here but %s in the record", o->name, a, b);
      i++;
      j++;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static StageRecord *Find(UmbCampaign c, const char stage[])
{
  for (PetscInt i = 0; i < c->nstages; i++)
    if (!strcmp(c->stages[i].stage, stage)) return &c->stages[i];
  return NULL;
}

PetscErrorCode UmbCampaignGetStage(UmbCampaign c, const char stage[], UmbStageStatus *status, double *seconds, const char **fingerprint)
{
  StageRecord *r = Find(c, stage);

  PetscFunctionBegin;
  if (status) *status = r ? r->status : UMB_STAGE_NONE;
  if (seconds) *seconds = r ? r->seconds : 0;
  if (fingerprint) *fingerprint = r ? r->fingerprint : "";
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignSetStage(UmbCampaign c, const char stage[], UmbStageStatus status, double seconds, const char fingerprint[])
{
  StageRecord *r = Find(c, stage);

  PetscFunctionBegin;
  if (!r) {
    PetscCheck(c->nstages < (PetscInt)(sizeof(c->stages) / sizeof(c->stages[0])), c->comm, PETSC_ERR_SUP, "%s: more than %d stages", c->stages_path, (int)(sizeof(c->stages) / sizeof(c->stages[0])));
    PetscCheck(strlen(stage) < sizeof(r->stage), c->comm, PETSC_ERR_ARG_SIZ, "stage name too long: %s", stage);
    r = &c->stages[c->nstages++];
    snprintf(r->stage, sizeof(r->stage), "%s", stage);
  }
  r->status  = status;
  r->seconds = seconds;
  snprintf(r->fingerprint, sizeof(r->fingerprint), "%s", fingerprint);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignClearStage(UmbCampaign c, const char stage[], PetscBool *removed)
{
  PetscInt n = 0;

  PetscFunctionBegin;
  for (PetscInt i = 0; i < c->nstages; i++)
    if (stage && strcmp(c->stages[i].stage, stage)) c->stages[n++] = c->stages[i];
  if (removed) *removed = (PetscBool)(n < c->nstages);
  c->nstages = n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCampaignWrite(UmbCampaign c)
{
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCall(UmbCsvCreate(c->comm, c->stages_path, "stage,status,seconds,fingerprint", &csv));
  for (PetscInt i = 0; i < c->nstages; i++) PetscCall(UmbCsvRow(csv, "%s,%s,%.3f,%s", c->stages[i].stage, status_names[c->stages[i].status], c->stages[i].seconds, c->stages[i].fingerprint));
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  /* a comment header instead of columns: the file stays a valid -options_file */
  PetscCall(UmbCsvCreate(c->comm, c->opts_path, "# the options the results in this directory depend on (umbra run)", &csv));
  for (PetscInt i = 0; i < c->ncur; i++) PetscCall(UmbCsvRow(csv, "%s%s%s", c->cur[i].name, c->cur[i].value[0] ? " " : "", c->cur[i].value));
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
