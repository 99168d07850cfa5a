/* umbra run: the campaign as a restartable sequence of stages (dmap with -cv dmap, sample, fes,
   exact, train, lift, closure, report). The record in <out>/stages.csv (status, wall seconds, fingerprint
   of the options a stage depends on) decides whether a stage is skipped, continued from its
   checkpoint (-restart) or run again; docs/campaigns.md has the rules. */
#include <umbra/private/app.h>
#include <umbra/private/campaign.h>

/* A stage: runs (continuing from its checkpoint when restart) and says whether it finished */
typedef PetscErrorCode (*StageRun)(UmbApp *, PetscBool restart, PetscBool *finished);
/* Whether a stage applies to this campaign: why is empty when it does, else says why not
   ("-" for a stage not worth a log line) */
typedef PetscErrorCode (*StageApplies)(UmbApp *, char why[], size_t);

static PetscErrorCode RunDmap(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCommandDmapMake(app));
  *finished = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the long stages: restart is passed to the stage being continued only, so that a checkpoint of
   an earlier, other run of a stage started afresh is never continued */
static PetscErrorCode RunSample(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbSamplerSetRestart(app->sampler, restart));
  PetscCall(UmbCommandSample(app, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunFes(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbFesSetRestart(app->fes, restart));
  PetscCall(UmbCommandFes(app, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunExact(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCommandExact(app));
  *finished = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunTrain(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbGeneratorSetRestart(app->generator, restart));
  PetscCall(UmbCommandTrain(app, finished));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunLift(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCommandLift(app));
  *finished = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunClosure(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCommandClosure(app));
  *finished = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunReport(UmbApp *app, PetscBool restart, PetscBool *finished)
{
  PetscFunctionBegin;
  PetscCall(UmbCommandReport(app));
  *finished = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AppliesExact(UmbApp *app, char why[], size_t len)
{
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(UmbExactAvailable(app->cv, &has, why, len));
  if (has) why[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A model without a potential (imported samples) cannot sample: its samples.h5 comes from
   umbra import, and the campaign starts after it */
static PetscErrorCode AppliesSample(UmbApp *app, char why[], size_t len)
{
  PetscBool has, exists;
  char      path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(UmbModelHasPotential(app->model, &has));
  why[0] = 0;
  if (has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbPathJoin(app->outdir, "samples.h5", path, sizeof(path)));
  PetscCall(PetscTestFile(path, 'r', &exists));
  PetscCheck(exists, app->comm, PETSC_ERR_USER_INPUT, "%s not found: a model without a potential energy (-model imported) cannot sample; run `umbra import ... -out %s` first, then umbra run continues from its samples", path, app->outdir);
  snprintf(why, len, "the model has no potential energy: the samples are those of umbra import in %s", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AppliesGenerator(UmbApp *app, char why[], size_t len)
{
  PetscInt n;

  PetscFunctionBegin;
  PetscCall(UmbGeneratorGetGenerated(app->generator, &n));
  snprintf(why, len, "%s", n ? "" : "the CV is every coordinate of the model: nothing to generate");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AppliesClosure(UmbApp *app, char why[], size_t len)
{
  PetscInt d;

  PetscFunctionBegin;
  PetscCall(UmbCVGetDimension(app->cv, &d));
  snprintf(why, len, "%s", d == 1 ? "" : "umbra run makes closures for 1-D CVs; for a 2-D coordinate or linear CV run umbra closure on the run directory");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The options that identify the model: a directory whose samples come from another model (or
   CV, or temperature) holds another campaign */
#define MODEL_OPTIONS "-model", "-model_", "-beta", "-fastslow_", "-mb_", "-ring_", "-lammps_", "-cv", "-cv_"
static const char *const model_options[] = {MODEL_OPTIONS, NULL};

#define MAX_OUTPUTS  3
/* stands for the generator's file among a stage's outputs (-generator gan: gan.h5) */
#define GENERATOR_FILE "<generator>"
#define MAX_UPSTREAM 4
#define MAX_OPTIONS  12
typedef struct {
  const char  *name;
  const char  *outputs[MAX_OUTPUTS]; /* in the run directory; all must exist for a skip */
  PetscBool    checkpoints;          /* writes ckpt/<name>.h5 while it runs */
  StageRun     run;
  StageApplies applies; /* NULL: always */
  const char  *upstream[MAX_UPSTREAM];
  const char  *options[MAX_OPTIONS]; /* option patterns its results depend on, besides those of its upstream stages */
} Stage;

/* The campaign, in order; a stage's upstream stages come before it */
static const Stage stages[] = {
  {"dmap", {"dmap.h5", "dmap.csv", "explore.h5"}, PETSC_FALSE, RunDmap, UmbCommandDmapMakes, {NULL}, {MODEL_OPTIONS, "-dmap_", "-seed"}},
  {"sample", {"samples.h5", "windows.csv"}, PETSC_TRUE, RunSample, AppliesSample, {"dmap"}, {MODEL_OPTIONS, "-us_", "-seed"}},
  {"fes", {"fes.h5", "fes.csv"}, PETSC_TRUE, RunFes, NULL, {"sample"}, {"-fes_"}},
  {"exact", {"exact.csv"}, PETSC_FALSE, RunExact, AppliesExact, {NULL}, {MODEL_OPTIONS, "-exact_", "-us_range"}},
  {"train", {GENERATOR_FILE, "train.csv"}, PETSC_TRUE, RunTrain, AppliesGenerator, {"sample"}, {"-generator", "-gan_", "-flow_"}},
  {"lift", {"lift.h5"}, PETSC_FALSE, RunLift, AppliesGenerator, {"train"}, {"-lift_"}},
  {"closure", {"closures.csv", "consistency.csv"}, PETSC_FALSE, RunClosure, AppliesClosure, {"fes", "train"}, {"-closure_"}},
  {"report", {"summary.json"}, PETSC_FALSE, RunReport, NULL, {"closure", "lift", "exact"}, {"-report_"}},
};
#define NSTAGES ((PetscInt)(sizeof(stages) / sizeof(stages[0])))

/* State of one `umbra run` */
typedef struct {
  UmbApp     *app;
  UmbCampaign record;
  PetscBool   restart;
  PetscBool   stopped;                  /* a stage checkpointed without finishing */
  PetscBool   inapplicable[NSTAGES];    /* stages found not to apply */
  char        ran[256][32]; /* stages run (not skipped) by this invocation */
  PetscInt    nran;
} Run;

static PetscInt StageIndex(const char base[])
{
  for (PetscInt i = 0; i < NSTAGES; i++)
    if (!strcmp(stages[i].name, base)) return i;
  return -1;
}

/* The option patterns of stage i and of the stages upstream of it (those of a stage that does
   not apply are left out, not those upstream of it) */
static void GatherOptions(const Run *run, PetscInt i, const char *patterns[], PetscInt *n, PetscInt max)
{
  for (PetscInt k = 0; !run->inapplicable[i] && k < MAX_OPTIONS && stages[i].options[k] && *n < max - 1; k++) patterns[(*n)++] = stages[i].options[k];
  for (PetscInt u = 0; u < MAX_UPSTREAM && stages[i].upstream[u]; u++) GatherOptions(run, StageIndex(stages[i].upstream[u]), patterns, n, max);
  patterns[*n] = NULL;
}

static PetscBool Ran(const Run *run, const char name[])
{
  for (PetscInt k = 0; k < run->nran; k++)
    if (!strcmp(run->ran[k], name)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* Whether stage i lies downstream of stage j */
static PetscBool Downstream(PetscInt i, PetscInt j)
{
  for (PetscInt u = 0; u < MAX_UPSTREAM && stages[i].upstream[u]; u++) {
    PetscInt k = StageIndex(stages[i].upstream[u]);
    if (k == j || Downstream(k, j)) return PETSC_TRUE;
  }
  return PETSC_FALSE;
}

/* The outputs of stage i (NULL-terminated), the generator's file by its name */
static PetscErrorCode StageOutputs(UmbApp *app, PetscInt i, const char *outputs[MAX_OUTPUTS + 1])
{
  PetscFunctionBegin;
  for (PetscInt k = 0; k < MAX_OUTPUTS; k++) {
    outputs[k] = stages[i].outputs[k];
    if (outputs[k] && !strcmp(outputs[k], GENERATOR_FILE)) PetscCall(UmbGeneratorGetFileName(app->generator, &outputs[k]));
  }
  outputs[MAX_OUTPUTS] = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. The first of n files missing in the run directory (-1: none) */
static PetscErrorCode MissingFile(UmbApp *app, const char *const files[], PetscInt n, PetscInt *missing)
{
  PetscMPIInt rank;
  int         m = -1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(app->comm, &rank));
  for (PetscInt k = 0; !rank && k < n && files[k] && m < 0; k++) {
    char  path[PETSC_MAX_PATH_LEN];
    FILE *f;
    PetscCall(UmbPathJoin(app->outdir, files[k], path, sizeof(path)));
    if ((f = fopen(path, "r"))) fclose(f);
    else m = (int)k;
  }
  PetscCallMPI(MPI_Bcast(&m, 1, MPI_INT, 0, app->comm));
  *missing = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective. Whether the stage left a checkpoint to continue from */
static PetscErrorCode HasCheckpoint(UmbApp *app, const char stage[], PetscBool *has)
{
  char        cur[64], prev[64];
  const char *one[1] = {cur}, *other[1] = {prev};
  PetscInt    m1, m2;

  PetscFunctionBegin;
  /* a round's stage ("train.1") writes the checkpoint of its stage ("ckpt/train.h5") */
  snprintf(cur, sizeof(cur), "ckpt/%.*s.h5", (int)strcspn(stage, "."), stage);
  snprintf(prev, sizeof(prev), "ckpt/%.*s.prev.h5", (int)strcspn(stage, "."), stage);
  PetscCall(MissingFile(app, one, 1, &m1));
  PetscCall(MissingFile(app, other, 1, &m2));
  *has = (PetscBool)(m1 < 0 || m2 < 0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Why stage i (name, with suffix) cannot keep its record, in words; empty when it can: a stage
   upstream ran again, its options changed, or (done) an output is missing */
static PetscErrorCode WhyRerun(Run *run, PetscInt i, const char name[], const char suffix[], const char *const patterns[], const char fp[], char why[], size_t len)
{
  UmbStageStatus status;
  const char    *recorded, *outputs[MAX_OUTPUTS + 1];
  char           moved[MAX_OUTPUTS][PETSC_MAX_PATH_LEN];
  PetscInt       missing = -1, rounds;

  PetscFunctionBegin;
  why[0] = 0;
  PetscCall(UmbCampaignGetStage(run->record, name, &status, NULL, &recorded));
  PetscCall(UmbCouplingGetIterations(run->app->coupling, &rounds));
  /* a coupling round builds on everything before it: once a stage ran again, so do all later ones */
  if ((suffix[0] || (rounds > 0 && !strcmp(stages[i].name, "report"))) && run->nran > 0) snprintf(why, len, "%s ran again", run->ran[run->nran - 1]);
  for (PetscInt u = 0; u < MAX_UPSTREAM && stages[i].upstream[u] && !why[0]; u++) {
    char up[64];
    snprintf(up, sizeof(up), "%s%s", stages[i].upstream[u], suffix);
    if (Ran(run, up) || Ran(run, stages[i].upstream[u])) snprintf(why, len, "%s ran again", Ran(run, up) ? up : stages[i].upstream[u]);
  }
  if (!why[0] && status != UMB_STAGE_NONE && strcmp(fp, recorded)) {
    PetscCall(UmbCampaignDifference(run->record, patterns, why, len));
    if (!why[0]) snprintf(why, len, "its options changed since the record (fingerprint %s, recorded %s)", fp, recorded);
  }
  PetscCall(StageOutputs(run->app, i, outputs));
  { /* once round q+1 has started, round q's results lie in round<q>/ (docs/coupling.md, step 1) */
    static const char *const archived[] = {"sample", "fes", "train", "lift", "closure", NULL};
    char           next[32];
    PetscInt       q = suffix[0] ? (PetscInt)atoi(suffix + 1) : 0;
    UmbStageStatus ns;
    snprintf(next, sizeof(next), "sample.%" PetscInt_FMT, q + 1);
    PetscCall(UmbCampaignGetStage(run->record, next, &ns, NULL, NULL));
    for (PetscInt k = 0; ns != UMB_STAGE_NONE && UmbCampaignMatches(stages[i].name, archived) && k < MAX_OUTPUTS && outputs[k]; k++) {
      snprintf(moved[k], sizeof(moved[k]), "round%" PetscInt_FMT "/%s", q, outputs[k]);
      outputs[k] = moved[k];
    }
    PetscCall(MissingFile(run->app, outputs, MAX_OUTPUTS, &missing));
  }
  if (!why[0] && status == UMB_STAGE_DONE && missing >= 0) snprintf(why, len, "%s is missing", outputs[missing]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Stage i (name, with suffix) starts from the beginning: the records of it and of everything
   downstream no longer hold. A long stage is recorded as checkpointed while it runs, so that
   -restart continues it from its latest checkpoint after a hard stop (a killed rank, a node
   failure); the checkpoints of an earlier run of it must not be continued. */
static PetscErrorCode StartAfresh(Run *run, PetscInt i, const char name[], const char suffix[], const char fp[])
{
  PetscBool removed, any;

  PetscFunctionBegin;
  PetscCall(UmbCampaignClearStage(run->record, name, &any));
  for (PetscInt k = 0; k < NSTAGES; k++) {
    char down[64];
    if (!Downstream(k, i)) continue;
    snprintf(down, sizeof(down), "%s%s", stages[k].name, suffix);
    PetscCall(UmbCampaignClearStage(run->record, down, &removed));
    any = (PetscBool)(any || removed);
  }
  if (stages[i].checkpoints) {
    PetscCall(UmbCheckpointRemove(run->app->comm, run->app->outdir, stages[i].name)); /* round stages share the stage's checkpoint */
    PetscCall(UmbCampaignSetStage(run->record, name, UMB_STAGE_CHECKPOINTED, 0, fp));
    any = PETSC_TRUE;
  }
  if (any) PetscCall(UmbCampaignWrite(run->record));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs one stage of the campaign by name; a coupling round's stages carry the suffix ".r"
   ("fes.1") and are the same stages. Skips it when its record says done with the current
   fingerprint, its outputs exist and nothing upstream ran again; continues it from its
   checkpoint with -restart when its record says checkpointed with the current fingerprint;
   otherwise runs it from the start. Sets run->stopped when the stage checkpointed without
   finishing, or a signal came between stages (exit code 3). */
static PetscErrorCode RunStage(Run *run, const char name[])
{
  UmbApp        *app = run->app;
  const char    *dot = strchr(name, '.'), *suffix = dot ? dot : "";
  char           base[32], why[PETSC_MAX_PATH_LEN + 128] = "", fp[UMB_FINGERPRINT_LEN], outputs[128] = "";
  const char    *patterns[64];
  PetscInt       i, n = 0;
  UmbStageStatus status;
  double         seconds, t0, dt;
  PetscBool      finished, resume = PETSC_FALSE;

  PetscFunctionBegin;
  if (run->stopped) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(UmbStopAgree(app->comm, &run->stopped)); /* a signal during a stage that does not checkpoint */
  if (run->stopped) {
    UmbSetExitStatus(UMB_EXIT_CHECKPOINTED);
    PetscCall(UmbLog(app->comm, "run: signal received: stopping before stage %s; continue the campaign with -restart (exit code 3)", name));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  snprintf(base, sizeof(base), "%.*s", (int)(dot ? dot - name : (ptrdiff_t)strlen(name)), name);
  i = StageIndex(base);
  PetscCheck(i >= 0, app->comm, PETSC_ERR_PLIB, "umbra run: no stage %s", name);
  if (stages[i].applies) {
    PetscCall(stages[i].applies(app, why, sizeof(why)));
    if (why[0]) {
      run->inapplicable[i] = PETSC_TRUE;
      if (strcmp(why, "-")) PetscCall(UmbLog(app->comm, "run: no %s stage (%s)", name, why));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  GatherOptions(run, i, patterns, &n, (PetscInt)(sizeof(patterns) / sizeof(patterns[0])) - 1);
  if (suffix[0] && !strcmp(base, "sample")) { /* a coupling round: its choice of windows too */
    patterns[n++] = "-run_";
    patterns[n]   = NULL;
  }
  PetscCall(UmbCampaignFingerprint(run->record, patterns, fp));
  PetscCall(UmbCampaignGetStage(run->record, name, &status, &seconds, NULL));
  PetscCall(WhyRerun(run, i, name, suffix, patterns, fp, why, sizeof(why)));
  if (status == UMB_STAGE_DONE && !why[0]) {
    const char *files[MAX_OUTPUTS + 1];
    PetscCall(StageOutputs(app, i, files));
    for (PetscInt k = 0; k < MAX_OUTPUTS && files[k]; k++) {
      size_t len = strlen(outputs);
      snprintf(outputs + len, sizeof(outputs) - len, "%s%s", k ? ", " : "", files[k]);
    }
    PetscCall(UmbLog(app->comm, "run: %s done (%s), skipped", name, outputs));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (status == UMB_STAGE_CHECKPOINTED && !why[0] && run->restart) {
    PetscCall(HasCheckpoint(app, name, &resume));
    if (!resume) snprintf(why, sizeof(why), "it stopped before its first checkpoint");
  }
  if (resume) PetscCall(UmbLog(app->comm, "run: %s continues from its checkpoint (%.0f s so far)", name, seconds));
  else {
    if (status == UMB_STAGE_NONE) PetscCall(UmbLog(app->comm, "run: stage %s", name));
    else PetscCall(UmbLog(app->comm, "run: %s again from the start (%s)", name, why[0] ? why : "its checkpoint is not continued without -restart"));
    seconds = 0;
    PetscCall(StartAfresh(run, i, name, suffix, fp));
  }
  t0 = MPI_Wtime();
  /* "sample.r": coupling round r seeds new windows with lifted states and merges them into
     samples.h5 (docs/coupling.md); an interrupted round is repeated from its start */
  if (suffix[0] && !strcmp(base, "sample")) PetscCall(UmbCommandCouplingRound(app, (PetscInt)atoi(suffix + 1), &finished));
  else PetscCall(stages[i].run(app, resume, &finished));
  dt = MPI_Wtime() - t0;
  PetscCallMPI(MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, app->comm)); /* one record on every rank */
  PetscCall(UmbCampaignSetStage(run->record, name, finished ? UMB_STAGE_DONE : UMB_STAGE_CHECKPOINTED, seconds + dt, fp));
  PetscCall(UmbCampaignWrite(run->record));
  PetscCheck(run->nran < (PetscInt)(sizeof(run->ran) / sizeof(run->ran[0])), app->comm, PETSC_ERR_SUP, "umbra run: too many stages");
  snprintf(run->ran[run->nran++], sizeof(run->ran[0]), "%s", name);
  if (!finished) {
    run->stopped = PETSC_TRUE;
    UmbSetExitStatus(UMB_EXIT_CHECKPOINTED); /* also for a coupling round's sampling, which no command sets it for */
    PetscCall(UmbLog(app->comm, "run: %s checkpointed after %.0f s; continue the campaign with -restart (exit code 3)", name, seconds + dt));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether this directory may be run: another campaign's directory, a checkpointed stage without
   -restart and -restart without a record are refused (bad input, exit code 2). */
static PetscErrorCode CheckDirectory(Run *run)
{
  UmbApp        *app = run->app;
  PetscBool      has;
  const char    *ckpt;
  UmbStageStatus sample;
  char           why[PETSC_MAX_PATH_LEN + 128];

  PetscFunctionBegin;
  PetscCheck(!(app->restart && app->run_overwrite), app->comm, PETSC_ERR_USER_INPUT, "-restart continues the campaign in %s and -run_overwrite starts it again from scratch: give one of them", app->outdir);
  PetscCall(UmbCampaignHasRecord(run->record, &has));
  PetscCheck(has || !app->restart, app->comm, PETSC_ERR_USER_INPUT, "-restart: nothing to restart in %s (it has no stages.csv); run without -restart to start the campaign", app->outdir);
  if (app->run_overwrite) {
    if (has) PetscCall(UmbLog(app->comm, "run: -run_overwrite: the campaign in %s starts again from scratch", app->outdir));
    PetscCall(UmbCampaignClearStage(run->record, NULL, NULL));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(UmbCampaignGetStage(run->record, "sample", &sample, NULL, NULL));
  if (sample != UMB_STAGE_NONE) {
    PetscCall(UmbCampaignDifference(run->record, model_options, why, sizeof(why)));
    PetscCheck(!why[0], app->comm, PETSC_ERR_USER_INPUT, "%s holds another campaign (%s): choose another -out, or add -run_overwrite to run this one there from scratch", app->outdir, why);
  }
  PetscCall(UmbCampaignFindStatus(run->record, UMB_STAGE_CHECKPOINTED, &ckpt));
  if (ckpt) PetscCall(HasCheckpoint(app, ckpt, &has)); /* a stage that failed before its first checkpoint just runs again */
  PetscCheck(!ckpt || !has || app->restart, app->comm, PETSC_ERR_USER_INPUT, "stage %s in %s is checkpointed, not finished: add -restart to continue the campaign (or -run_overwrite to start it again from scratch)", ckpt ? ckpt : "", app->outdir);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbRunSetFromOptions(UmbApp *app)
{
  PetscFunctionBegin;
  PetscOptionsBegin(app->comm, NULL, "Campaign (umbra run)", "umbra");
  PetscCall(PetscOptionsBool("-run_overwrite", "Run the campaign from scratch in a directory that holds another (or a checkpointed) one", "UmbCommandRun", app->run_overwrite, &app->run_overwrite, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbCommandRun(UmbApp *app)
{
  Run      run;
  PetscInt rounds;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&run, sizeof(run)));
  run.app     = app;
  run.restart = app->restart;
  PetscCall(UmbStopInstall()); /* SIGUSR1/SIGTERM between stages too: stop before the next one */
  PetscCall(UmbCampaignCreate(app->comm, app->outdir, &run.record));
  PetscCall(CheckDirectory(&run));
  PetscCall(RunStage(&run, "dmap"));
  if (!run.stopped) PetscCall(UmbCommandDmapRange(app)); /* -cv dmap: the windows along the map */
  for (PetscInt i = 1; i < NSTAGES - 1; i++) PetscCall(RunStage(&run, stages[i].name));
  /* coupling rounds (-run_iterations, docs/coupling.md): the stages again under the names
     "sample.r" (new windows seeded with lifted states, merged into samples.h5), "fes.r", ... */
  PetscCall(UmbCouplingGetIterations(app->coupling, &rounds));
  for (PetscInt r = 1; r <= rounds; r++) {
    const char *const round_stages[] = {"sample", "fes", "train", "lift", "closure"};
    for (size_t k = 0; k < sizeof(round_stages) / sizeof(round_stages[0]); k++) {
      char name[32];
      snprintf(name, sizeof(name), "%s.%" PetscInt_FMT, round_stages[k], r);
      PetscCall(RunStage(&run, name));
    }
  }
  PetscCall(RunStage(&run, "report"));
  if (!run.stopped) PetscCall(UmbLog(app->comm, "run: done; results in %s", app->outdir));
  PetscCall(UmbCampaignDestroy(&run.record));
  PetscCall(UmbStopRemove());
  PetscFunctionReturn(PETSC_SUCCESS);
}
