/* Stop requests: SIGUSR1 and SIGTERM (Slurm's warning before the time limit, scancel) only set
   a flag; long loops ask UmbStopAgree at their step boundaries, so every rank checkpoints and
   stops after the same step. */
#include <umbra/sys.h>
#include <signal.h>

static volatile sig_atomic_t stop_signal = 0;
static struct sigaction      old_usr1, old_term;
static int                   installed = 0;

static void OnSignal(int sig) { stop_signal = sig; }

PetscErrorCode UmbStopInstall(void)
{
  struct sigaction sa;

  PetscFunctionBegin;
  if (installed++) PetscFunctionReturn(PETSC_SUCCESS); /* nested stages share one handler */
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  PetscCheck(!sigaction(SIGUSR1, &sa, &old_usr1) && !sigaction(SIGTERM, &sa, &old_term), PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot install the SIGUSR1/SIGTERM handler");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbStopRemove(void)
{
  PetscFunctionBegin;
  if (!installed || --installed) PetscFunctionReturn(PETSC_SUCCESS);
  sigaction(SIGUSR1, &old_usr1, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int UmbStopSignal(void) { return (int)stop_signal; }

PetscErrorCode UmbStopAgree(MPI_Comm comm, PetscBool *stop)
{
  PetscFunctionBegin;
  PetscCall(UmbStopAgreeInterval(comm, 0, 0, stop, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode UmbStopAgreeInterval(MPI_Comm comm, PetscReal interval, PetscLogDouble last, PetscBool *stop, PetscBool *due)
{
  int            mine[2], all[2];
  PetscMPIInt    rank;
  PetscLogDouble now;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscTime(&now));
  mine[0] = stop_signal != 0;
  mine[1] = !rank && interval > 0 && now - last >= interval; /* rank 0's clock decides for all */
  PetscCallMPI(MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, comm));
  *stop = all[0] ? PETSC_TRUE : PETSC_FALSE;
  if (due) *due = (all[0] || all[1]) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
