#!/usr/bin/env bash
# Benchmark tests/bench/lammps: what umbra's -us_integrator langevin costs on top of LAMMPS for a
# molecular system (alanine dipeptide in vacuum, inputs/ala2, 22 atoms, units real), and the wall
# time of the phi campaign inputs/ala2-phi.opts.
#
#   umbra:  `umbra sample` with the options of inputs/ala2-phi.opts, but one window (centre
#           -1.4 rad, kappa 50 kcal/mol/rad^2), one walker, STEPS steps, burn-in 0, one rank.
#           Per chunk umbra scatters the state into LAMMPS, defines fix nve, fix langevin, compute
#           ke + fix ave/time and runs; fix external's callback computes the umbrella bias every
#           step and keeps a frame every -us_stride steps. Variants: the default (stride 50, automatic chunk: one chunk
#           here), -us_chunk_steps 10000 and 100000, -us_stride 10 and 100.
#           "loop" time = event UmbSmpStep of -log_view (every chunk's LAMMPS run with its set-up,
#           scatter, gather, callback, frame bookkeeping; not the minimisation, HDF5 output, IACT).
#   lammps: /usr/bin/lmp (the library umbra links) on tests/bench/lammps/md.in: the same system,
#           fix nve + fix langevin 300 K damp 100 fs, timestep 0.5 fs, STEPS steps in one run.
#           Variants: plain (no bias), ke (plus compute ke + fix ave/time 1 1 1, as umbra adds),
#           restrain (plus fix restrain dihedral on phi: the engine-native biased peer; this
#           LAMMPS has no COLVARS). "loop" time = its "Loop time".
#   overhead = umbra loop time / lammps loop time - 1 (per step), against plain and restrain.
#   cpu overhead: the same with CPU time per step, (CPU(STEPS) - CPU(1000 steps)) / (STEPS - 1000)
#   of the whole process (/usr/bin/time user + sys): start-up does not enter it, and other jobs
#   on the machine less than they enter wall times (only through the shared hardware). "proc" compares whole processes' wall
#   times (start-up, minimisation and output included).
#   campaign: `mpiexec -n 2 umbra sample -options_file inputs/ala2-phi.opts` (36 windows x 2
#           walkers x 210000 steps) and `umbra fes` on its output, 2 ranks, once each.
# Prints a table and writes $BUILD/bench/lammps.csv. Reports, never fails on speed; exits 1 only
# if a run fails.
# Environment: BUILD (build), MPIEXEC (mpiexec), MPIEXEC_FLAGS (default: --bind-to none
#   --oversubscribe for Open MPI), LMP (lmp), REPEAT (3: runs per variant, the median is
#   reported; the runs go round robin over the variants), STEPS (400000), CAMPAIGN (1; 0 skips
#   the campaign).
# Contention: "cpu" = CPU time / wall time of the process (/usr/bin/time); below ~85% means it
#   waited for a core (other jobs running): marked '*' in the table.
set -u
# shellcheck source=tests/bench/common.sh
. "$(dirname "$0")/../common.sh" lammps
if [ -z "${MPIEXEC_FLAGS+set}" ] && "$MPIEXEC" --version 2>/dev/null | grep -qiE "open ?mpi|openrte"; then
  MPIEXEC_FLAGS="--bind-to none --oversubscribe"
fi
MPIEXEC_FLAGS=${MPIEXEC_FLAGS:-}
LMP=${LMP:-lmp}
STEPS=${STEPS:-400000}
CAMPAIGN=${CAMPAIGN:-1}
OPTS=inputs/ala2-phi.opts
MDIN=$PWD/tests/bench/lammps/md.in
ALA2=$PWD/inputs/ala2

OUT=$BUILD/bench/lammps
CSV=$BUILD/bench/lammps.csv
mkdir -p "$OUT"
# shellcheck disable=SC2119
bench_require
command -v "$LMP" >/dev/null || { echo "lammps: $LMP not found (LMP=...)"; exit 1; }
# one window centred at -1.4 rad: the campaign's options with a one-point grid (its centre is the
# middle of -us_range). -us_centers -1.4 would do the same, but it excludes the options file's
# -us_windows and -us_range.
WINDOW="-us_windows 1 -us_range -1.5,-1.3"
# shellcheck disable=SC2086
if "$UMBRA" sample -options_file "$OPTS" $WINDOW -us_walkers 1 -us_steps 100 -us_burnin 0 -us_stride 100 \
     -out "$OUT/probe" </dev/null 2>&1 | grep -q "built without LAMMPS"; then
  echo "lammps: umbra was built without LAMMPS; skipped"
  exit 0
fi

# shellcheck disable=SC2016
TIMED='d=$1; shift; if [ -x /usr/bin/time ]; then exec /usr/bin/time -f "%e %U %S" -o "$d/time.$$.txt" "$@"; else exec "$@"; fi'

proc_time() { # dir -> "wall cpu_util cpu_seconds" of the process(es) timed in dir (max wall,
  # mean util, total CPU time)
  cat "$1"/time.*.txt 2>/dev/null | awk '
    NF == 3 && $1 ~ /^[0-9.]+$/ && $1 > 0 { if ($1 > w) w = $1; u += ($2 + $3) / $1; c += $2 + $3; k++ }
    END { if (k) printf "%s %.3f %.2f\n", w, u / k, c; else print "nan nan nan" }'
}

# one umbra run: prints "proc_seconds loop_seconds summary_seconds summary_rate cpu_util cpu_seconds"
umbra_run() { # dir steps options...
  local dir=$1 steps=$2
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$MPIEXEC" -n 1 $MPIEXEC_FLAGS sh -c "$TIMED" timed "$dir" "$UMBRA" sample -options_file "$OPTS" \
    $WINDOW -us_walkers 1 -us_steps "$steps" -us_burnin 0 "$@" \
    -out "$dir/run" -log_view ":$dir/log_view.txt" </dev/null >"$dir/stdout.txt" 2>&1 || return 1
  awk -v lv="$dir/log_view.txt" -v pt="$(proc_time "$dir")" '
    /sample: .* walker-steps in .* walker-steps\/s on/ {
      for (i = 1; i <= NF; i++) { if ($i == "in") sec = $(i + 1); if ($i == "walker-steps/s") rate = substr($(i - 1), 2) } }
    END {
      while ((getline line < lv) > 0) { split(line, f, " "); if (f[1] == "UmbSmpStep") step = f[4] }
      if (rate == "" || step == "") exit 1
      split(pt, p, " ")
      printf "%s %s %s %s %s %s\n", p[1], step, sec, rate, p[2], p[3]
    }' "$dir/stdout.txt"
}

# one LAMMPS run: prints "proc_seconds loop_seconds loop_seconds timesteps_per_s cpu_util cpu_seconds"
lammps_run() { # dir steps bias seed
  local dir=$1 steps=$2
  shift
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && sh -c "$TIMED" timed "$dir" "$LMP" -var umbra_dir "$ALA2" -var nsteps "$steps" -var bias "$2" \
    -var seed "$3" -in "$MDIN" -log "$dir/log.lammps" -echo none </dev/null >"$dir/stdout.txt" 2>&1) || return 1
  awk -v pt="$(proc_time "$dir")" '
    /^Loop time of/ { loop = $4 }
    /^Performance:/ { for (i = 1; i <= NF; i++) if ($i ~ /^timesteps\/s/) rate = $(i - 1) }
    END {
      if (loop == "" || rate == "") exit 1
      split(pt, p, " ")
      printf "%s %s %s %s %s %s\n", p[1], loop, loop, rate, p[2], p[3]
    }' "$dir/stdout.txt"
}

median_line() { # lines "proc loop ... cpu" on stdin -> the line with the median loop time, with the
  # median CPU seconds and the shortest loop time appended (FAIL if any failed)
  awk '/FAIL/ { bad = 1 } NF == 6 { l[++k] = $0; c[k] = $6; t[k] = $2 }
    function med(a, n,   i, j, x) { for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } return a[int((n + 1) / 2)] }
    END {
      if (bad || !k) { print "FAIL"; exit }
      for (i = 1; i <= k; i++) s[i] = t[i]
      m = med(s, k); cm = med(c, k)
      for (i = 1; i <= k; i++) if (t[i] == m) { print l[i], cm, s[1]; exit }
    }'
}

run_variant() { # variant dir steps seed -> one run's line
  case $1 in
  lmp-plain)       lammps_run "$2" "$3" none "$4" ;;
  lmp-ke)          lammps_run "$2" "$3" ke "$4" ;;
  lmp-restrain)    lammps_run "$2" "$3" restrain "$4" ;;
  umbra)           umbra_run "$2" "$3" ;;
  umbra-chunk10k)  umbra_run "$2" "$3" -us_chunk_steps 10000 ;;
  umbra-chunk100k) umbra_run "$2" "$3" -us_chunk_steps 100000 ;;
  umbra-stride10)  umbra_run "$2" "$3" -us_stride 10 ;;
  umbra-stride100) umbra_run "$2" "$3" -us_stride 100 ;;
  *) return 1 ;;
  esac
}

status=0
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before: $load_before (other jobs on this machine slow the runs down)"
echo "variant,engine,steps,stride,chunk_steps,repeats,proc_seconds,loop_seconds,loop_steps_per_s,summary_seconds,summary_rate,cpu_util,cpu_seconds,cpu_seconds_short,cpu_us_per_step,overhead_vs_plain,overhead_vs_restrain,cpu_overhead_vs_plain,cpu_overhead_vs_restrain,proc_ratio_vs_plain,loop_seconds_min,overhead_min_vs_plain,loadavg" >"$CSV.tmp"

# Round robin: repeat i runs every variant once (long, then short) before repeat i + 1 starts, so
# that a neighbour's job slows all variants alike. The short runs (SHORT steps) measure the
# start-up CPU time: CPU per step = (CPU(STEPS) - CPU(SHORT)) / (STEPS - SHORT), which other jobs
# on the machine do not inflate the way they inflate wall times.
VARIANTS="lmp-plain lmp-ke lmp-restrain umbra umbra-chunk10k umbra-chunk100k umbra-stride10 umbra-stride100"
SHORT=1000
for v in $VARIANTS; do rm -f "$OUT/$v.runs" "$OUT/$v.short" "$OUT/$v.load"; done
for ((i = 0; i < REPEAT; i++)); do
  for v in $VARIANTS; do
    cut -d' ' -f1 /proc/loadavg >>"$OUT/$v.load"
    run_variant "$v" "$OUT/$v-$i" "$STEPS" $((4928459 + i)) >>"$OUT/$v.runs" || echo FAIL >>"$OUT/$v.runs"
    run_variant "$v" "$OUT/$v-short-$i" "$SHORT" $((4928459 + i)) >>"$OUT/$v.short" || echo FAIL >>"$OUT/$v.short"
  done
done
declare -A RES
for v in $VARIANTS; do
  r=$(median_line <"$OUT/$v.runs")
  r0=$(median_line <"$OUT/$v.short")
  if [ "$r" = FAIL ] || [ "$r0" = FAIL ]; then
    echo "lammps: $v failed; see $OUT/$v-*/stdout.txt"
    status=1
    continue
  fi
  case $v in lmp*) eng=lammps ;; *) eng=umbra ;; esac
  # engine load(first) proc loop ssec srate util cpu(median line) cpu_median loop_min cpu_short_median
  RES[$v]="$eng $(head -1 "$OUT/$v.load") $r $(echo "$r0" | cut -d' ' -f7)"
done

# stride and chunk of a umbra variant
stride_of() { case $1 in umbra-stride10) echo 10 ;; umbra-stride100) echo 100 ;; umbra*) awk '$1 == "-us_stride" { print $2 }' "$OPTS" ;; *) echo "" ;; esac; }
chunk_of() { case $1 in umbra-chunk10k) echo 10000 ;; umbra-chunk100k) echo 100000 ;; umbra*) echo auto ;; *) echo "" ;; esac; }

fmt='%-16s %7s %7s %7s %10s %5s %8s %9s %9s %9s %9s %7s %6s %9s\n'
echo
# shellcheck disable=SC2059
printf "$fmt" variant steps proc loop "loop" cpu "cpu" "loop ovh" "cpu ovh" "loop ovh" "cpu ovh" "proc" "best" "best ovh"
# shellcheck disable=SC2059
printf "$fmt" "" "" "s" "s" "steps/s" "" "us/step" "vs plain" "vs plain" "vs restr" "vs restr" "/plain" "loop s" "vs plain"
ref() { # variant -> "proc loop cpu_per_step" (nan if missing)
  local r=${RES[$1]:-}
  # shellcheck disable=SC2086
  [ -n "$r" ] || { echo "nan nan nan"; return; }
  # shellcheck disable=SC2086
  set -- $r
  awk -v p="$3" -v l="$4" -v c="${9}" -v c0="${11}" -v m="${10}" -v S="$STEPS" -v S0="$SHORT" 'BEGIN { printf "%s %s %.6g %s\n", p, l, (c - c0) / (S - S0), m }'
}
read -r bproc bloop bcpu bmin <<<"$(ref lmp-plain)"
read -r _ rloop rcpu _ <<<"$(ref lmp-restrain)"
for v in $VARIANTS; do
  [ -n "${RES[$v]:-}" ] || continue
  # shellcheck disable=SC2086
  set -- ${RES[$v]}
  eng=$1 load=$2 proc=$3 loop=$4 ssec=$5 srate=$6 util=$7 cpu=${9} tmin=${10} cpu0=${11}
  awk -v v="$v" -v eng="$eng" -v S="$STEPS" -v S0="$SHORT" -v R="$REPEAT" -v stride="$(stride_of "$v")" -v chunk="$(chunk_of "$v")" \
      -v proc="$proc" -v loop="$loop" -v ssec="$ssec" -v srate="$srate" -v util="$util" -v cpu="$cpu" -v cpu0="$cpu0" -v load="$load" \
      -v tmin="$tmin" -v bmin="$bmin" -v bproc="$bproc" -v bloop="$bloop" -v bcpu="$bcpu" -v rloop="$rloop" -v rcpu="$rcpu" -v fmt="$fmt" -v csv="$CSV.tmp" '
    function rel(a, b) { return b == "nan" ? "nan" : a / b - 1 }
    function pct(x) { return x == "nan" ? "?" : sprintf("%+.1f%%", 100 * x) }
    function num(x) { return x == "nan" ? "" : sprintf("%.4f", x) }
    BEGIN {
      cps = (cpu - cpu0) / (S - S0)
      ob = rel(loop, bloop); orr = rel(loop, rloop); cb = rel(cps, bcpu); cr = rel(cps, rcpu); mb = rel(tmin, bmin)
      pr = bproc == "nan" ? "nan" : proc / bproc
      u = util == "nan" ? "?" : sprintf("%d%s", 100 * util + 0.5, util < 0.85 ? "*" : "")
      printf fmt, v, S, sprintf("%.2f", proc), sprintf("%.2f", loop), sprintf("%.4g", S / loop), u, sprintf("%.2f", 1e6 * cps),
             v == "lmp-plain" ? "-" : pct(ob), v == "lmp-plain" ? "-" : pct(cb),
             v == "lmp-restrain" ? "-" : pct(orr), v == "lmp-restrain" ? "-" : pct(cr), pr == "nan" ? "?" : sprintf("%.2f", pr),
             sprintf("%.2f", tmin), v == "lmp-plain" ? "-" : pct(mb)
      printf "%s,%s,%d,%s,%s,%d,%s,%s,%.6g,%s,%s,%s,%s,%s,%.6g,%s,%s,%s,%s,%s,%s,%s,%s\n", v, eng, S, stride, chunk, R, proc, loop, S / loop,
             eng == "umbra" ? ssec : "", eng == "umbra" ? srate : "", util, cpu, cpu0, 1e6 * cps,
             num(ob), num(orr), num(cb), num(cr), num(pr), tmin, num(mb), load >> csv
    }'
done
if [ "$CAMPAIGN" = 1 ]; then
  echo
  dir=$OUT/campaign
  rm -rf "$dir"
  mkdir -p "$dir/sample" "$dir/fes"
  load=$(cut -d' ' -f1 /proc/loadavg)
  # shellcheck disable=SC2086
  if "$MPIEXEC" -n 2 $MPIEXEC_FLAGS sh -c "$TIMED" timed "$dir/sample" "$UMBRA" sample -options_file "$OPTS" \
       -out "$dir/run" </dev/null >"$dir/sample.txt" 2>&1; then
    read -r ssec sutil scpu <<<"$(proc_time "$dir/sample")"
    srate=$(awk '/walker-steps\/s on/ { for (i = 1; i <= NF; i++) if ($i == "walker-steps/s") print substr($(i - 1), 2) }' "$dir/sample.txt")
    echo "campaign: umbra sample -options_file $OPTS, 2 ranks: $ssec s (cpu $sutil; $srate walker-steps/s)"
    steps=$(awk '$1 == "-us_steps" { s = $2 } $1 == "-us_burnin" { b = $2 } END { print s + b }' "$OPTS")
    stride=$(awk '$1 == "-us_stride" { print $2 }' "$OPTS")
    echo "campaign-sample,umbra,$steps,$stride,auto,1,$ssec,,,,$srate,$sutil,$scpu,,,,,,,,,,$load" >>"$CSV.tmp"
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    if "$MPIEXEC" -n 2 $MPIEXEC_FLAGS sh -c "$TIMED" timed "$dir/fes" "$UMBRA" fes -out "$dir/run" \
         </dev/null >"$dir/fes.txt" 2>&1; then
      read -r fsec futil fcpu <<<"$(proc_time "$dir/fes")"
      echo "campaign: umbra fes, 2 ranks: $fsec s (cpu $futil)"
      echo "campaign-fes,umbra,,,,1,$fsec,,,,,$futil,$fcpu,,,,,,,,,,$load" >>"$CSV.tmp"
    else
      echo "lammps: umbra fes on the campaign failed; see $dir/fes.txt"
      status=1
    fi
  else
    echo "lammps: the campaign failed; see $dir/sample.txt"
    status=1
  fi
fi
mv "$CSV.tmp" "$CSV"
cat <<EOF

load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)
proc: wall time of the whole process; loop: umbra = event UmbSmpStep (all chunks: LAMMPS runs with
  their set-up, scatter/gather, callback, frames), lammps = its Loop time; loop steps/s = steps /
  loop. cpu us/step: (CPU time of the process at $STEPS steps - at $SHORT steps) per step.
  ovh = loop time (or CPU per step) / that of lmp-plain (or lmp-restrain) - 1: goal <= +10%.
  proc /plain: process wall time / that of lmp-plain. cpu: CPU time / wall time, '*' below 85%.
  best: the shortest loop time of the $REPEAT runs, and its ratio to lmp-plain's shortest - 1.
  Median of $REPEAT runs each ($STEPS steps, one walker, 1 rank). CSV: $CSV
EOF
exit $status
