/* Data-parallel training of the conditional GAN.

   Data and batches: the training set of the generator class (include/umbra/private/trainset.h):
   rows of samples.h5 sharded over the ranks, a held-out split keyed by (seed, row), one
   permutation per epoch keyed by (seed, e) and one exchange of rows per epoch, so the batches do
   not depend on the rank count. A generator step uses -gan_critic_steps consecutive batches, one
   per critic update; the latent noise is keyed by (seed, critic iteration, global row).

   Step: every rank computes the gradient of its part of the global batch, one reduction per
   network (mpi: doubles; exact: int64 fixed point per micro-batch, bitwise independent of the
   rank count), and every rank applies the same Adam step. A hash of the parameters is compared
   across ranks every -gan_drift_interval steps. Checkpoints hold the parameters, Adam's state,
   the step and the epoch's running sums; everything else is recomputed from counters. */
#include <umbra/private/gantrain.h>
#include <umbra/private/nnimpl.h>
#include <cblas.h> /* openblas_set_num_threads */

static const char csv_header[] = "epoch,step,loss_d,loss_g,wdist,penalty,consistency,swd,swd_floor,restriction,samples_per_s,time";


static PetscErrorCode TrainDataDestroy(TrainData *td)
{
  PetscFunctionBegin;
  PetscCall(UmbTrainSetDestroy(&td->set));
  PetscCall(PetscFree(td->hist));
  PetscCall(PetscFree(td->proj));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* UmbGanFeatures as the training set's feature callback */
static void Features(void *ctx, PetscInt m, const PetscReal z[], PetscReal zf[]) { UmbGanFeatures((UmbGan)ctx, m, z, zf); }

/* Reads this rank's block of samples.h5 into the training set, takes its standardisation and
   CV range into the GAN, then builds the payload rows with the GAN's conditioning features */
static PetscErrorCode LoadSamples(UmbGan gan, const char dir[], TrainData *td)
{
  UmbTrainSetOptions o;
  UmbTrainSet       *ts = &td->set;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&o, sizeof(o)));
  o.comm             = gan->comm;
  o.seed             = gan->seed;
  o.val_frac         = gan->val_frac;
  o.batch            = gan->batch;
  o.batches_per_step = gan->critic_steps;
  o.reduce           = gan->reduce;
  o.microbatch       = gan->microbatch;
  o.cv               = gan->cv;
  o.modeltype        = gan->modeltype;
  o.cvtype           = gan->cvtype;
  o.n                = gan->n;
  o.space            = &gan->space;
  o.name             = "the cGAN";
  o.doc              = "docs/gan.md";
  o.step             = "generator step";
  o.opt_batch        = "-gan_batch";
  o.opt_steps        = "-gan_critic_steps";
  o.event_data       = UMB_EVENT.gan_data;
  o.event_reduce     = UMB_EVENT.gan_allreduce;
  PetscCall(UmbTrainSetLoad(&o, dir, ts));
  PetscCall(UmbTrainSetGetStandardization(ts, &gan->xmean, &gan->xsd, gan->zmean, gan->zsd, gan->zlo, gan->zhi));
  PetscCall(UmbTrainSetBuildRows(ts, gan->dz, Features, gan));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Batches of -gan_critic_steps per generator step; G and D reduced separately, each with its
   loss entries */
static PetscErrorCode SetUpBatches(UmbGan gan, TrainData *td)
{
  PetscFunctionBegin;
  PetscCall(UmbTrainSetSetUpBatches(&td->set));
  PetscCall(UmbTrainSetAddNetworks(&td->set, 1, &gan->G, UMB_GAN_NLOSS_G, &td->redG));
  PetscCall(UmbTrainSetAddNetworks(&td->set, 1, &gan->D, UMB_GAN_NLOSS_D, &td->redD));
  PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &td->npG));
  PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &td->npD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: stops the training as diverged (exit 1) when on any rank the reduced losses or
   gradients are not finite (finite false) or a loss exceeds -gan_loss_limit in size (net: critic
   or generator; NULL for the parameters themselves). Every rank
   takes the same decision, so none waits in the next reduction. Nothing is written: gan.h5 and
   the last checkpoint keep what they held. */
static PetscErrorCode CheckDiverged(UmbGan gan, TrainData *td, const char net[], PetscBool finite, PetscReal loss, PetscInt64 epoch, PetscInt64 step)
{
  int  bad = !finite || PetscIsInfOrNanReal(loss) || (gan->loss_limit > 0 && PetscAbsReal(loss) > gan->loss_limit);
  char what[128], ckpt[320];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, gan->comm));
  if (!bad) PetscFunctionReturn(PETSC_SUCCESS);
  if (!net) snprintf(what, sizeof(what), "the network parameters became NaN or infinite");
  else if (!finite || PetscIsInfOrNanReal(loss)) snprintf(what, sizeof(what), "the %s loss or gradient became NaN or infinite", net);
  else snprintf(what, sizeof(what), "the %s loss reached %.3g, beyond -gan_loss_limit %.3g", net, (double)loss, (double)gan->loss_limit);
  if (td->ckpt_step >= 0) snprintf(ckpt, sizeof(ckpt), "the last checkpoint, %s/ckpt/train.h5 at generator step %lld, is kept (-restart continues from it with the same options only)", td->dir, (long long)td->ckpt_step);
  else snprintf(ckpt, sizeof(ckpt), "no checkpoint was written before it");
  SETERRQ(gan->comm, PETSC_ERR_NOT_CONVERGED, "training diverged in epoch %lld (generator step %lld): %s; lower the learning rates (-gan_lr, now %.6g for the generator and %.6g for the critic; try -gan_lr %.3g), or steady the critic with more -gan_critic_steps (now %" PetscInt_FMT ") or a larger -gan_gp_lambda (now %.6g); gan.h5 is not written, %s", (long long)(epoch + 1), (long long)(step + 1), what, (double)gan->lr_g, (double)gan->lr_d, (double)(0.1 * PetscMin(gan->lr_g, gan->lr_d)), gan->critic_steps, (double)gan->gp_lambda, ckpt);
}

/* Collective: the parameters about to be written (checkpoint or gan.h5) are finite on every rank */
static PetscErrorCode CheckParameters(UmbGan gan, TrainData *td, PetscInt64 epoch, PetscInt64 step)
{
  UmbMLP    nets[3] = {gan->G, gan->D, gan->Gl};
  PetscBool finite  = PETSC_TRUE;

  PetscFunctionBegin;
  for (PetscInt k = 0; k < 3; k++) {
    PetscReal *theta;
    PetscInt   np;
    PetscCall(UmbMLPGetParameters(nets[k], &theta, NULL));
    PetscCall(UmbMLPGetSizes(nets[k], NULL, NULL, &np));
    for (PetscInt i = 0; i < np; i++)
      if (PetscIsInfOrNanReal(theta[i])) finite = PETSC_FALSE;
  }
  PetscCall(CheckDiverged(gan, td, NULL, finite, 0, epoch, step));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One critic update on critic batch rows (bloc x W) at global critic iteration c */
static PetscErrorCode CriticStep(UmbGan gan, TrainData *td, const PetscReal *rows, PetscInt64 c, PetscInt64 epoch, PetscInt64 step)
{
  const PetscInt  len = td->npD + UMB_GAN_NLOSS_D;
  const PetscReal scale = 1.0 / (PetscReal)td->set.B;
  PetscReal      *theta, *grad;
  PetscBool       finite;
  UmbStream       se;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->D, &theta, &grad));
  UmbStreamInit(&se, (uint64_t)gan->seed, UMB_STREAM_LATENT, UMB_GAN_RNG_EPS);
  if (gan->reduce == UMB_REDUCE_MPI) PetscCall(PetscArrayzero(td->set.vec, len));
  for (PetscInt k = 0; k < td->set.nchunk; k++) {
    const PetscInt   q0 = td->set.chunk[k], b = td->set.chunk[k + 1] - q0;
    const PetscReal *r  = rows + q0 * td->set.W;
    PetscReal       *v  = td->set.vec + (gan->reduce == UMB_REDUCE_EXACT ? k * len : 0);
    PetscCall(UmbGanReserve(gan, b));
    for (PetscInt i = 0; i < b; i++) {
      double u[4];
      td->set.ids[i] = (PetscInt64)r[i * td->set.W + td->set.oid];
      UmbStreamUniform4(&se, (uint64_t)c, (uint64_t)td->set.ids[i], 0, u);
      gan->eps[i] = u[0];
    }
    UmbGanLatent(gan, UMB_GAN_RNG_CRITIC, (uint64_t)c, b, td->set.ids, gan->eta);
    if (gan->reduce == UMB_REDUCE_EXACT) PetscCall(PetscArrayzero(v, len));
    PetscCall(UmbMLPZeroGradients(gan->D));
    PetscCall(UmbGanCriticChunk(gan, b, r + td->set.ox, td->set.W, r + td->set.oz, td->set.W, gan->eta, gan->eps, scale, v + td->npD));
    for (PetscInt i = 0; i < td->npD; i++) v[i] += grad[i];
  }
  PetscCall(UmbTrainSetReduce(&td->set, td->redD, &finite));
  {
    const PetscReal *l = td->set.red + td->npD;
    PetscCall(CheckDiverged(gan, td, "critic", finite, gan->loss == UMB_GAN_WGANGP ? l[1] - l[0] + l[2] : l[0] + l[1] + l[2], epoch, step));
  }
  PetscCall(UmbAdamStep(gan->adam_d, theta, td->set.red));
  {
    const PetscReal *l = td->set.red + td->npD;
    td->acc[0] += gan->loss == UMB_GAN_WGANGP ? l[1] - l[0] + l[2] : l[0] + l[1] + l[2];
    td->acc[1] += gan->loss == UMB_GAN_WGANGP ? l[0] - l[1] : NAN;
    td->acc[2] += l[2];
    td->acc[3] += 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One generator update on the rows of the last critic batch, at generator step s */
static PetscErrorCode GeneratorStep(UmbGan gan, TrainData *td, const PetscReal *rows, PetscInt64 s, PetscInt64 epoch)
{
  const PetscInt  len = td->npG + UMB_GAN_NLOSS_G;
  const PetscReal scale = 1.0 / (PetscReal)td->set.B;
  PetscReal      *theta, *grad;
  PetscBool       finite;

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->G, &theta, &grad));
  if (gan->reduce == UMB_REDUCE_MPI) {
    PetscCall(PetscArrayzero(td->set.vec, len));
    PetscCall(UmbMLPZeroGradients(gan->G));
  }
  for (PetscInt k = 0; k < td->set.nchunk; k++) {
    const PetscInt   q0 = td->set.chunk[k], b = td->set.chunk[k + 1] - q0;
    const PetscReal *r  = rows + q0 * td->set.W;
    PetscReal       *v  = td->set.vec + (gan->reduce == UMB_REDUCE_EXACT ? k * len : 0);
    PetscCall(UmbGanReserve(gan, b));
    for (PetscInt i = 0; i < b; i++) td->set.ids[i] = (PetscInt64)r[i * td->set.W + td->set.oid];
    UmbGanLatent(gan, UMB_GAN_RNG_GEN, (uint64_t)s, b, td->set.ids, gan->eta);
    if (gan->reduce == UMB_REDUCE_EXACT) {
      PetscCall(PetscArrayzero(v, len));
      PetscCall(UmbMLPZeroGradients(gan->G));
    }
    PetscCall(UmbGanGeneratorChunk(gan, b, r + td->set.oz, td->set.W, r + td->set.or, td->set.W, gan->eta, scale, v + td->npG));
    if (gan->reduce == UMB_REDUCE_EXACT) PetscCall(PetscArraycpy(v, grad, td->npG));
  }
  if (gan->reduce == UMB_REDUCE_MPI) PetscCall(PetscArraycpy(td->set.vec, grad, td->npG));
  PetscCall(UmbTrainSetReduce(&td->set, td->redG, &finite));
  PetscCall(CheckDiverged(gan, td, "generator", finite, td->set.red[td->npG], epoch, s));
  PetscCall(UmbAdamStep(gan->adam_g, theta, td->set.red));
  if (gan->Gl != gan->G) {
    PetscReal      *avg;
    const PetscReal b = gan->ema;
    PetscCall(UmbMLPGetParameters(gan->Gl, &avg, NULL));
    for (PetscInt i = 0; i < td->npG; i++) avg[i] = b * avg[i] + (1 - b) * theta[i];
  }
  td->acc[4] += td->set.red[td->npG];
  td->acc[5] += td->set.red[td->npG + 1];
  td->acc[6] += 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Mean over projections of W1 between two equal-size samples (columns cr and cf of n rows) */
static PetscReal SlicedW1(PetscInt n, PetscInt nproj, PetscInt ld, const PetscReal *rows, PetscInt cr, PetscInt cf, PetscInt strider, PetscReal *a, PetscReal *b)
{
  PetscReal s = 0;
  for (PetscInt k = 0; k < nproj; k++) {
    PetscReal w = 0;
    for (PetscInt i = 0; i < n; i++) {
      a[i] = rows[i * ld + cr + k];
      b[i] = rows[(i + strider) * ld + cf + k];
    }
    PetscSortReal(n, a);
    PetscSortReal(n, b);
    for (PetscInt i = 0; i < n; i++) w += PetscAbsReal(a[i] - b[i]);
    s += w / n;
  }
  return s / nproj;
}

/* Collective: held-out quality at the end of epoch e. Generated states at the held-out CV
   values against the held-out states, per CV bin: sliced 1-Wasserstein distance in standardised
   coordinates (axes and random directions), weighted by the bin counts; the floor is the same
   measure between two halves of the held-out data, scaled to the full size (/sqrt 2). Also the
   mean restriction error |xi(G) - z| for non-coordinate CVs. */
static PetscErrorCode Validate(UmbGan gan, TrainData *td, PetscInt64 e, PetscReal *swd, PetscReal *restr)
{
  const PetscInt nproj = td->nproj, ncol = 1 + 2 * nproj, ng = gan->ng;
  PetscReal     *loc, *all = NULL, rsum[2] = {0, 0};
  PetscMPIInt   *cnt = NULL, *disp = NULL, mine;
  PetscInt64     nall = 0;

  PetscFunctionBegin;
  *swd   = NAN;
  *restr = gan->coord ? 0 : NAN;
  if (td->set.V == 0) {
    td->floor = NAN;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscLogEventBegin(UMB_EVENT.gan_valid, 0, 0, 0, 0));
  PetscCall(PetscMalloc1(td->set.vloc * ncol + 1, &loc));
  PetscCall(PetscMalloc1(UMB_GAN_BLOCK * gan->dz, &td->vzf));
  for (PetscInt64 i0 = 0; i0 < td->set.vloc; i0 += UMB_GAN_BLOCK) {
    const PetscInt b = (PetscInt)PetscMin(UMB_GAN_BLOCK, td->set.vloc - i0);
    PetscCall(UmbGanReserve(gan, b));
    {
      PetscInt64 ids[UMB_GAN_BLOCK];
      PetscReal *zf = td->vzf, zr[UMB_GAN_BLOCK * 2];
      for (PetscInt i = 0; i < b; i++) {
        const PetscReal *r = td->set.valid + (i0 + i) * td->set.W;
        ids[i]             = (PetscInt64)r[td->set.oid];
        for (PetscInt a = 0; a < gan->dz; a++) zf[i * gan->dz + a] = r[td->set.oz + a];
        for (PetscInt a = 0; a < gan->d; a++) zr[i * gan->d + a] = r[td->set.or + a];
      }
      UmbGanLatent(gan, UMB_GAN_RNG_VALID, (uint64_t)e, b, ids, gan->eta);
      PetscCall(UmbGanGeneratorForward(gan, gan->Gl, b, zf, gan->dz, gan->eta, gan->xf));
      for (PetscInt i = 0; i < b; i++) {
        const PetscReal *r = td->set.valid + (i0 + i) * td->set.W;
        PetscReal       *o = loc + (i0 + i) * ncol;
        PetscInt         bin = 0;
        for (PetscInt a = 0; a < gan->d; a++) {
          const PetscReal wdt = (gan->zhi[a] - gan->zlo[a]) / gan->val_bins;
          PetscInt        k   = wdt > 0 ? (PetscInt)((r[td->set.or + a] - gan->zlo[a]) / wdt) : 0;
          k                   = PetscMax(0, PetscMin(gan->val_bins - 1, k));
          bin                 = bin * gan->val_bins + k;
        }
        o[0] = (PetscReal)bin;
        for (PetscInt k = 0; k < nproj; k++) {
          PetscReal pr = 0, pf = 0;
          for (PetscInt j = 0; j < ng; j++) {
            pr += td->proj[k * ng + j] * r[td->set.ox + j];
            pf += td->proj[k * ng + j] * gan->xf[i * ng + j];
          }
          o[1 + k]         = pr;
          o[1 + nproj + k] = pf;
        }
      }
      if (!gan->coord) {
        PetscReal *x = gan->zc, *zc = gan->Jc;
        UmbGanAssemble(gan, b, gan->xf, NULL, x);
        PetscCall(UmbCVEvaluate(gan->cv, b, x, zc, NULL));
        for (PetscInt i = 0; i < b; i++) {
          PetscReal s = 0;
          for (PetscInt a = 0; a < gan->d; a++) {
            const PetscReal df = UmbCVDifference(gan->cv, a, zc[i * gan->d + a], zr[i * gan->d + a]);
            s += df * df;
          }
          rsum[0] += PetscSqrtReal(s);
          rsum[1] += 1;
        }
      }
    }
  }
  if (!gan->coord) {
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, rsum, 2, MPIU_REAL, MPI_SUM, gan->comm));
    *restr = rsum[1] > 0 ? rsum[0] / rsum[1] : NAN;
  }
  /* gather to rank 0 (in global row order: ranks hold consecutive blocks) */
  mine = (PetscMPIInt)(td->set.vloc * ncol);
  if (!gan->rank) PetscCall(PetscMalloc2(gan->size, &cnt, gan->size + 1, &disp));
  PetscCallMPI(MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, gan->comm));
  if (!gan->rank) {
    disp[0] = 0;
    for (PetscMPIInt p = 0; p < gan->size; p++) disp[p + 1] = disp[p] + cnt[p];
    nall = disp[gan->size] / ncol;
    PetscCall(PetscMalloc1(nall * ncol + 1, &all));
  }
  PetscCallMPI(MPI_Gatherv(loc, mine, MPIU_REAL, all, cnt, disp, MPIU_REAL, 0, gan->comm));
  if (!gan->rank) {
    const PetscInt nbins = gan->d > 1 ? gan->val_bins * gan->val_bins : gan->val_bins;
    PetscInt64    *start;
    PetscReal     *sorted, *a, *b, tot = 0, wsum = 0, ftot = 0, fw = 0;
    PetscCall(PetscCalloc1(nbins + 1, &start));
    PetscCall(PetscMalloc3(nall * ncol + 1, &sorted, nall + 1, &a, nall + 1, &b));
    for (PetscInt64 i = 0; i < nall; i++) start[(PetscInt)all[i * ncol] + 1]++;
    for (PetscInt k = 0; k < nbins; k++) start[k + 1] += start[k];
    {
      PetscInt64 *pos;
      PetscCall(PetscMalloc1(nbins, &pos));
      for (PetscInt k = 0; k < nbins; k++) pos[k] = start[k];
      for (PetscInt64 i = 0; i < nall; i++) PetscCall(PetscArraycpy(sorted + (pos[(PetscInt)all[i * ncol]]++) * ncol, all + i * ncol, ncol));
      PetscCall(PetscFree(pos));
    }
    for (PetscInt k = 0; k < nbins; k++) {
      const PetscInt64 nb = start[k + 1] - start[k];
      const PetscReal *rows = sorted + start[k] * ncol;
      if (nb < 40) continue;
      tot += nb * SlicedW1((PetscInt)nb, nproj, ncol, rows, 1, 1 + nproj, 0, a, b);
      wsum += nb;
      if (!(td->floor >= 0)) {
        const PetscInt h = (PetscInt)(nb / 2);
        PetscReal *half;
        PetscCall(PetscMalloc1(2 * h * ncol, &half)); /* even rows, then odd rows: both halves span the bin */
        for (PetscInt i = 0; i < 2 * h; i++) PetscCall(PetscArraycpy(half + ((i % 2) * h + i / 2) * ncol, rows + i * ncol, ncol));
        ftot += nb * SlicedW1(h, nproj, ncol, half, 1, 1, h, a, b) / PETSC_SQRT2;
        PetscCall(PetscFree(half));
        fw += nb;
      }
    }
    *swd = wsum > 0 ? tot / wsum : NAN;
    if (!(td->floor >= 0)) td->floor = fw > 0 ? ftot / fw : NAN;
    PetscCall(PetscFree(start));
    PetscCall(PetscFree3(sorted, a, b));
    PetscCall(PetscFree(all));
    PetscCall(PetscFree2(cnt, disp));
  }
  PetscCallMPI(MPI_Bcast(swd, 1, MPIU_REAL, 0, gan->comm));
  PetscCallMPI(MPI_Bcast(&td->floor, 1, MPIU_REAL, 0, gan->comm));
  PetscCall(PetscFree(loc));
  PetscCall(PetscFree(td->vzf));
  PetscCall(PetscLogEventEnd(UMB_EVENT.gan_valid, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUpProjections(UmbGan gan, TrainData *td)
{
  const PetscInt ng = gan->ng, naxes = ng <= 16 ? ng : 0, nrand = ng <= 16 ? 8 : 24;
  UmbStream      s;

  PetscFunctionBegin;
  td->nproj = naxes + nrand;
  PetscCall(PetscCalloc1(td->nproj * ng, &td->proj));
  for (PetscInt k = 0; k < naxes; k++) td->proj[k * ng + k] = 1;
  UmbStreamInit(&s, (uint64_t)gan->seed, UMB_STREAM_LATENT, UMB_GAN_RNG_PROJ);
  for (PetscInt k = naxes; k < td->nproj; k++) {
    PetscReal *v = td->proj + k * ng, nrm = 0;
    UmbStreamGaussian(&s, (uint64_t)k, 0, (int)ng, v);
    for (PetscInt j = 0; j < ng; j++) nrm += v[j] * v[j];
    nrm = PetscSqrtReal(nrm);
    for (PetscInt j = 0; j < ng; j++) v[j] /= nrm;
  }
  td->floor = -1; /* not yet computed */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteCsv(UmbGan gan, TrainData *td, const char dir[])
{
  char   path[PETSC_MAX_PATH_LEN];
  UmbCsv csv;

  PetscFunctionBegin;
  PetscCall(UmbPathJoin(dir, "train.csv", path, sizeof(path)));
  PetscCall(UmbCsvCreate(gan->comm, path, csv_header, &csv));
  for (PetscInt k = 0; k < td->nhist; k++) {
    const PetscReal *h = td->hist + k * UMB_GAN_NCOL;
    PetscCall(UmbCsvRow(csv, "%lld,%lld,%.10g,%.10g,%.10g,%.10g,%.10g,%.6g,%.6g,%.6g,%.4g,%.4g", (long long)h[0], (long long)h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]));
  }
  PetscCall(UmbCsvClose(&csv, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: every rank must hold the same parameters of G and D; also agrees on a stop signal */
static PetscErrorCode DriftCheck(UmbGan gan, TrainData *td, PetscInt64 step, PetscBool *stop)
{
  PetscReal     *theta[2];
  const PetscInt np[2] = {td->npG, td->npD};

  PetscFunctionBegin;
  PetscCall(UmbMLPGetParameters(gan->G, &theta[0], NULL));
  PetscCall(UmbMLPGetParameters(gan->D, &theta[1], NULL));
  PetscCall(UmbTrainSetDriftCheck(&td->set, 2, np, theta, step, stop));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbGanTrain(UmbGan gan, const char dir[], PetscBool *finished)
{
  TrainData        td;
  PetscInt64       step = 0, total;
  PetscReal        elapsed = 0;
  PetscLogDouble   tlast, tnow;
  UmbProgress      progress;
  PetscBool        stop = PETSC_FALSE;
  char             path[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&td, sizeof(td)));
  *finished = PETSC_FALSE;
  PetscCall(UmbGanCheckGenerates(gan));
#if defined(OPENBLAS_VERSION)
  if (!getenv("OPENBLAS_NUM_THREADS")) openblas_set_num_threads(1);
#endif
  PetscCall(LoadSamples(gan, dir, &td));
  PetscCall(UmbGanBuildNetworks(gan));
  PetscCall(UmbMLPSetTraining(gan->G, PETSC_TRUE));
  PetscCall(SetUpBatches(gan, &td));
  PetscCall(SetUpProjections(gan, &td));
  total       = td.set.S * gan->epochs;
  td.maxhist  = (PetscInt)gan->epochs;
  PetscCall(PetscMalloc1(td.maxhist * UMB_GAN_NCOL + 1, &td.hist));
  td.dir       = dir;
  td.ckpt_step = -1;
  if (gan->restart) {
    PetscCall(UmbGanReadCheckpoint(gan, &td, dir, &step, &elapsed));
    td.ckpt_step = step > 0 ? step : -1;
  }
  if (td.nhist > gan->epochs) td.nhist = (PetscInt)gan->epochs;
  PetscCall(UmbLog(gan->comm, "train: %lld samples (%lld for training, %lld held out), %lld generator steps per epoch (%" PetscInt_FMT " x %" PetscInt_FMT " samples per step), %lld steps in all", (long long)td.set.N, (long long)td.set.T, (long long)td.set.V, (long long)td.set.S, gan->critic_steps, gan->batch, (long long)total));
  {
    PetscInt npg, npd;
    PetscCall(UmbMLPGetSizes(gan->G, NULL, NULL, &npg));
    PetscCall(UmbMLPGetSizes(gan->D, NULL, NULL, &npd));
    PetscCall(UmbLog(gan->comm, "train: generator %" PetscInt_FMT " parameters, critic %" PetscInt_FMT "; reduction %s over %d rank%s (%" PetscInt_FMT " batch rows on this rank)", npg, npd, UmbReduceModes[gan->reduce], (int)gan->size, gan->size > 1 ? "s" : "", td.set.bloc));
  }
  PetscCall(UmbStopInstall());

  PetscCall(DriftCheck(gan, &td, step, &stop)); /* same initial parameters everywhere */
  PetscCall(UmbProgressCreate(gan->comm, "train", "steps", (double)total, &progress));
  PetscCall(PetscTime(&tlast));
  while (step < total && !stop) {
    const PetscInt64 e = step / td.set.S;
    const PetscReal *rows = NULL;
    PetscCall(UmbTrainSetLoadEpoch(&td.set, e));
    if (gan->lr_final != 1) { /* the generator's: constant, then linear decay over the second half (a function of the step only) */
      const PetscReal f = 1 + (gan->lr_final - 1) * PetscMax(0, 2 * (PetscReal)step / (PetscReal)total - 1);
      PetscCall(UmbAdamSetLearningRate(gan->adam_g, f * gan->lr_g));
    }
    PetscCall(PetscLogEventBegin(UMB_EVENT.gan_step, 0, 0, 0, 0));
    for (PetscInt k = 0; k < gan->critic_steps; k++) {
      PetscCall(UmbTrainSetGetBatch(&td.set, step, k, &rows));
      PetscCall(CriticStep(gan, &td, rows, step * gan->critic_steps + k, e, step));
    }
    PetscCall(GeneratorStep(gan, &td, rows, step, e));
    PetscCall(PetscLogEventEnd(UMB_EVENT.gan_step, 0, 0, 0, 0));
    step++;
    PetscCall(UmbProgressUpdate(progress, (double)step));
    if (step % gan->drift_interval == 0 || step == total) PetscCall(DriftCheck(gan, &td, step, &stop));
    if (step % td.set.S == 0) { /* end of an epoch: throughput of its steps, then the held-out measure */
      PetscReal *h = td.hist + td.nhist * UMB_GAN_NCOL, swd, restr;
      PetscCall(PetscTime(&tnow));
      td.acc[7] += tnow - tlast;
      elapsed += tnow - tlast;
      h[10] = td.acc[7] > 0 ? td.acc[6] * gan->critic_steps * gan->batch / td.acc[7] : 0;
      PetscCall(Validate(gan, &td, e, &swd, &restr));
      h[0] = (PetscReal)(e + 1);
      h[1] = (PetscReal)step;
      h[2] = td.acc[0] / td.acc[3];
      h[3] = td.acc[4] / td.acc[6];
      h[4] = td.acc[1] / td.acc[3];
      h[5] = td.acc[2] / td.acc[3];
      h[6] = td.acc[5] / td.acc[6];
      h[7] = swd;
      h[8] = td.floor;
      h[9] = restr;
      PetscCall(PetscTime(&tlast));
      elapsed += tlast - tnow;
      h[11] = elapsed;
      td.nhist++;
      {
        char wd[64] = "", rs[64] = "";
        if (gan->loss == UMB_GAN_WGANGP) snprintf(wd, sizeof(wd), " wdist %.4g", h[4]);
        if (!gan->coord) snprintf(rs, sizeof(rs), "  restriction %.3g", h[9]);
        PetscCall(UmbLog(gan->comm, "train: epoch %lld/%" PetscInt_FMT ": loss_d %.4g loss_g %.4g%s penalty %.3g  swd %.4g (floor %.3g)%s  %.3g samples/s", (long long)(e + 1), gan->epochs, h[2], h[3], wd, h[5], h[7], h[8], rs, h[10]));
      }
      PetscCall(WriteCsv(gan, &td, dir));
      PetscCall(PetscArrayzero(td.acc, UMB_GAN_NACC));
    }
    if (step < total && (stop || (gan->ckpt_interval > 0 && step % gan->ckpt_interval == 0) || step == gan->stop_step)) {
      PetscCall(PetscTime(&tnow));
      td.acc[7] += tnow - tlast; /* seconds of this epoch so far: its throughput survives a restart */
      elapsed += tnow - tlast;
      PetscCall(CheckParameters(gan, &td, e, step - 1));
      PetscCall(UmbGanWriteCheckpoint(gan, &td, dir, step, elapsed));
      td.ckpt_step = step;
      PetscCall(PetscTime(&tlast));
      if (stop) PetscCall(UmbLog(gan->comm, "train: signal received: checkpointed after generator step %lld; continue with -restart", (long long)step));
      else if (step == gan->stop_step) {
        PetscCall(UmbLog(gan->comm, "train: stopped after generator step %lld as asked (-gan_stop_step); continue with -restart", (long long)step));
        break;
      }
    }
  }
  PetscCall(UmbStopRemove());
  PetscCall(UmbProgressFinish(progress));
  PetscCall(UmbProgressDestroy(&progress));
  if (step >= total) {
    gan->trained_steps  = step;
    gan->trained_epochs = gan->epochs;
    PetscCall(CheckParameters(gan, &td, gan->epochs - 1, step - 1));
    PetscCall(UmbGanCalibrate(gan, &td.set));
    PetscCall(UmbPathJoin(dir, "gan.h5", path, sizeof(path)));
    PetscCall(UmbGanWrite(gan, path));
    PetscCall(WriteCsv(gan, &td, dir));
    PetscCall(UmbCheckpointRemove(gan->comm, dir, "train")); /* finished: nothing to continue */
    PetscCall(UmbLog(gan->comm, "train: %lld generator steps in %.1f s; wrote %s and %s/train.csv", (long long)step, (double)elapsed, path, dir));
    *finished = PETSC_TRUE;
  }
  PetscCall(UmbMLPSetTraining(gan->G, PETSC_FALSE));
  PetscCall(TrainDataDestroy(&td));
  PetscFunctionReturn(PETSC_SUCCESS);
}
