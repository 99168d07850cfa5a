# umbra -- build with pkg-config (see INSTALL for clusters).
# Every package name can be overridden: make PETSC_PC=$PETSC_DIR/$PETSC_ARCH/lib/pkgconfig/petsc.pc

PETSC_PC  ?= petsc
SLEPC_PC  ?= slepc
HDF5_PC   ?= hdf5-openmpi
GSL_PC    ?= gsl
BLAS_PC   ?= openblas
# Random123 is header-only; give its parent directory if it is not in a default path
RANDOM123_INCLUDE ?=

PREFIX    ?= /usr/local
BUILD     ?= build
MPIEXEC   ?= mpiexec
NP        ?= 2
PYTHON    ?= /usr/bin/python3
INPUT     ?= inputs/fastslow.opts
ARGS      ?=

PACKAGES  := $(SLEPC_PC) $(PETSC_PC) $(HDF5_PC) $(GSL_PC) $(BLAS_PC)
PKG_OK    := $(shell pkg-config --exists $(PACKAGES) && echo yes)
ifneq ($(PKG_OK),yes)
$(error pkg-config cannot find all of: $(PACKAGES). Install the packages listed in INSTALL or set PKG_CONFIG_PATH)
endif

CC        := $(shell pkg-config --variable=ccompiler $(PETSC_PC))
CPPFLAGS  += -Iinclude -I$(BUILD)/include $(shell pkg-config --cflags-only-I $(PACKAGES)) \
             $(if $(RANDOM123_INCLUDE),-I$(RANDOM123_INCLUDE))
CFLAGS    ?= -O3 -g
CFLAGS    += -std=c11 -D_POSIX_C_SOURCE=200809L -fPIC -Wall -Wextra -Wno-unused-parameter -MMD -MP
# instrumentation flags for every object, link and plugin (make check-asan sets them)
SANITIZE  ?=
CFLAGS    += $(SANITIZE)
# GSL's own CBLAS is dropped: OpenBLAS serves PETSc, GSL and umbra alike
LDLIBS    := $(filter-out -lgslcblas,$(shell pkg-config --libs $(PACKAGES))) -ldl -lm
LDFLAGS   += $(shell pkg-config --libs-only-L $(PACKAGES) | sed 's/-L/-Wl,-rpath,/g')

# LAMMPS is optional: without it, -model lammps says so. LAMMPS=no leaves it out even when found.
LAMMPS_PC ?= liblammps
LAMMPS    ?= $(shell pkg-config --exists $(LAMMPS_PC) && echo yes)
ifeq ($(LAMMPS),yes)
CPPFLAGS  += -DUMBRA_HAVE_LAMMPS -DLAMMPS_LIB_MPI $(shell pkg-config --cflags $(LAMMPS_PC))
LDLIBS    += $(shell pkg-config --libs $(LAMMPS_PC))
LDFLAGS   += $(shell pkg-config --libs-only-L $(LAMMPS_PC) | sed 's/-L/-Wl,-rpath,/g')
endif

LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_SRC   := $(filter-out src/app/%,$(LIB_SRC))
APP_SRC   := $(sort $(wildcard src/app/*.c))
TEST_SRC  := $(sort $(wildcard tests/t*.c))
PLUGIN_SRC:= $(sort $(wildcard inputs/plugins/*.c))
FUZZ_SRC  := $(filter-out tests/fuzz/replay.c,$(sort $(wildcard tests/fuzz/*.c)))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
APP_OBJ   := $(APP_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
PLUGINS   := $(PLUGIN_SRC:inputs/plugins/%.c=$(BUILD)/plugins/lib%.so)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# the commands' code without main(): fuzz targets call src/app's readers too
APP_LIB_OBJ := $(filter-out $(BUILD)/obj/src/app/main.o,$(APP_OBJ))
LIB       := $(BUILD)/lib/libumbra.a
APP       := $(BUILD)/umbra
VERSION_H := $(BUILD)/include/umbra_version.h

# mpirun refuses to start as root unless told; one BLAS thread per rank
ifeq ($(shell id -u),0)
export OMPI_ALLOW_RUN_AS_ROOT := 1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM := 1
endif
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1

# make V=1 shows the full command lines
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

.PHONY: all fuzz fuzz-targets check check-acceptance check-asan check-asan-ci check-mutants check-slurm check-valgrind reliability-table bench run install clean print
.DEFAULT_GOAL := all

all: $(APP) $(TEST_BIN) $(PLUGINS) $(FUZZ_BIN)

$(VERSION_H): FORCE
	@mkdir -p $(dir $@)
	@v=$$(git describe --always --dirty --tags 2>/dev/null || echo unknown); \
	 printf '#define UMBRA_VERSION_STRING "%s"\n' "$$v" > $@.tmp; \
	 cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/obj/%.o: %.c | $(VERSION_H)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(APP): $(APP_OBJ) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -rdynamic $(APP_OBJ) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# Fuzz targets (tests/fuzz): with FUZZ_ENGINE unset they are linked to replay.c, which runs them
# on the files named on the command line (test t110 replays the committed crash inputs); make fuzz
# links them to libFuzzer instead (FUZZ_ENGINE=-fsanitize=fuzzer).
FUZZ_ENGINE ?= $(BUILD)/obj/tests/fuzz/replay.o
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(APP_LIB_OBJ) $(LIB) $(filter %.o,$(FUZZ_ENGINE))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(FUZZ_ENGINE) $(APP_LIB_OBJ) $(LIB) $(LDLIBS) -o $@

fuzz-targets: $(FUZZ_BIN)

# plugins use only the plain-C ABI header: no PETSc, no MPI
$(BUILD)/plugins/lib%.so: inputs/plugins/%.c include/umbra/plugin.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  PLUGIN  $@")
	$(Q)$(CC) -std=c11 -O2 -fPIC -shared -Wall -Wextra $(SANITIZE) -Iinclude $< -o $@ -lm

# make check: the unit tests and the short MPI and command-line tests (under 20 minutes on two
# cores); make check-acceptance: the long acceptance runs (whole campaigns, full trainings,
# long statistical and restart runs), marked "LONG: reason" in their source. Between them they
# run every case once (docs/developers.md, "Tests").
check: all
	@BUILD=$(BUILD) LONG=0 tests/run.sh

check-acceptance: all
	@BUILD=$(BUILD) LONG=only tests/run.sh

# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer in its own directory.
# Any report fails the case: ASan stops at the first error, UBSan is told to (halt_on_error).
# Leaks: UmbFinalize runs LeakSanitizer's check when the rank finished without error
# (leak_check_at_exit=0: a failed command exits without destroying its objects, by design);
# fast_unwind_on_malloc=0 gives full stacks through Open MPI for the suppressions. These cover
# third-party libraries only and say why (tests/asan.supp, tests/lsan.supp, tests/ubsan.supp).
# -malloc_coalesce 0: PETSc's PetscMalloc2..7 would otherwise share one block, hiding overflows
# from one array into the next. T226_LONG_STEPS: t226's interrupted runs take a third of the
# steps, since each is several times slower here (the hang guard stopped them under load).
# LONG=1: the long acceptance runs as well as make check's cases.
ASAN_BUILD   ?= build-asan
ASAN_FILTER  ?= .
# The statistical acceptance runs that train the GAN for its full length: over an hour each
# under the sanitizers. The same training code runs there in t501-t505, t512, t702 and t801.
ASAN_SKIP     ?= ^(t511-gan-quality|t704-closure-campaign)$$
ASAN_SKIP_WHY := full-length training, hours under the sanitizers (its code runs in t501-t505, t702, t801)
SAN_FLAGS    := -fsanitize=address,undefined -fno-omit-frame-pointer
check-asan:
	@CFLAGS='-O1 -g' $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) SANITIZE='$(SAN_FLAGS)' all
	@BUILD=$(ASAN_BUILD) FILTER='$(ASAN_FILTER)' \
	 ASAN_OPTIONS=suppressions=$(CURDIR)/tests/asan.supp:detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1:abort_on_error=0:disable_coredump=1 \
	 LSAN_OPTIONS=leak_check_at_exit=0:suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/ubsan.supp \
	 PETSC_OPTIONS='-malloc_coalesce 0' T226_LONG_STEPS=5000000 LONG=1 $(if $(ASAN_MAXNP),MAXNP=$(ASAN_MAXNP)) \
	 SKIP='$(ASAN_SKIP)' SKIP_WHY='$(ASAN_SKIP_WHY)' tests/run.sh

# The part of check-asan that .ci/run runs (minutes, not hours): the C unit tests up to 2 ranks
# (ASAN_MAXNP) except the long statistical acceptance runs (ASAN_CI_SKIP), and short shell tests
# that between them run each stage on 2 ranks: t004 (sample, info), t801 (run: sample, fes,
# exact, train, lift, closure, report). A new C test joins by itself.
ASAN_CI_SKIP   := t307-fes-fastslow-exact t511-gan-quality
ASAN_CI_SHELL  := t004-sys-run-outputs t801-report
ASAN_CI_TESTS  := $(filter-out $(ASAN_CI_SKIP),$(TEST_SRC:tests/%.c=%)) $(ASAN_CI_SHELL)
ASAN_CI_FILTER := ^($(subst $(eval) ,|,$(strip $(ASAN_CI_TESTS))))$$
check-asan-ci:
	@$(MAKE) --no-print-directory check-asan ASAN_FILTER='$(ASAN_CI_FILTER)' ASAN_MAXNP=2

# Every fuzz target for FUZZ_TIME seconds on its corpus tests/fuzz/corpus/<target>, built with
# clang, libFuzzer, ASan and UBSan in FUZZ_BUILD (stops with a message without clang). Bounded:
# about (number of targets) x FUZZ_TIME seconds plus the build. New inputs and crashes stay in
# FUZZ_BUILD; tests/fuzz/README.md says how to keep them. Not part of check.
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME  ?= 60
fuzz:
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/fuzz.sh

# jobs/ on a throw-away single-node Slurm (installs slurm-wlm and munge when missing; root)
check-slurm: all
	@BUILD=$(BUILD) tests/slurm/check-slurm.sh

# plants known bugs in copies of the committed tree; the statistical tests must catch each one
check-mutants:
	@tests/mutants.sh

# a small campaign on 2 ranks under valgrind memcheck, stage by stage (not part of check)
check-valgrind: all
	@BUILD=$(BUILD) tests/valgrind-campaign.sh

# the table of bad inputs and the messages they get, for docs/reliability.md
# the table goes to a file: on stdout it would follow the build lines of the prerequisite
reliability-table: all
	@BUILD=$(BUILD) tests/reliability-table.sh > $(BUILD)/reliability-table.md
	@echo "reliability-table: wrote $(BUILD)/reliability-table.md"

bench: all
	@tests/bench/run.sh

run: all
	$(MPIEXEC) -n $(NP) --oversubscribe --bind-to none $(APP) run -options_file $(INPUT) $(ARGS) </dev/null

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/umbra $(DESTDIR)$(PREFIX)/share/umbra
	install -m 755 $(APP) $(DESTDIR)$(PREFIX)/bin/umbra
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/umbra.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/umbra/*.h $(DESTDIR)$(PREFIX)/include/umbra/
	cp -r inputs $(DESTDIR)$(PREFIX)/share/umbra/

print:
	@echo CC=$(CC)
	@echo CPPFLAGS=$(CPPFLAGS)
	@echo CFLAGS=$(CFLAGS)
	@echo LDLIBS=$(LDLIBS)

clean:
	rm -rf $(BUILD)

.SECONDARY: $(TEST_SRC:tests/%.c=$(BUILD)/obj/tests/%.o) $(FUZZ_SRC:tests/%.c=$(BUILD)/obj/tests/%.o) $(BUILD)/obj/tests/fuzz/replay.o
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
