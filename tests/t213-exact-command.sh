#!/usr/bin/env bash
# `umbra exact` end to end: exact.csv from 1 and 3 ranks is identical (apart from the provenance
# comment), its header is exactly z,F,mean_y1,var_y1,... for fastslow m = 4 (ppos_y<i> for the
# tilted coupling), min F = 0 and F >= 0, one row per grid point, -exact_grid sets the grid;
# mullerbrown (CV x, y, linear, 2-D) and ring write their tables; bad -exact_grid values and a
# model without an exact reference stop with exit code 2 and a message, also on 3 ranks; with a
# single window the default grid spans 4 standard deviations of its bias.
# Catches: a rank-count-dependent gather or grid, a wrong header or column order, F not shifted,
# an off-by-one grid, -exact_grid ignored, a hang or crash on bad input.
# Environment: UMBRA, BUILD, MPIEXEC, MPIEXEC_FLAGS (see tests/run.sh).
set -u
: "${UMBRA:?}" "${MPIEXEC:=mpiexec}" "${MPIEXEC_FLAGS:=--oversubscribe}" "${BUILD:=$(dirname "$UMBRA")}"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# run NP ARGS...: umbra on NP ranks, output in run.log, returns its exit code
run() {
  local np=$1
  shift
  # shellcheck disable=SC2086
  timeout 120 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >run.log 2>&1
}
# body FILE: exact.csv without the provenance comment line
body() { tail -n +2 "$1"; }
# check_table FILE HEADER ROWS: exact header, row count, min F = 0, F >= 0, numeric fields
check_table() {
  local f=$1 header=$2 rows=$3 fcol
  [ -f "$f" ] || { fail "$f missing"; return; }
  [ "$(sed -n 2p "$f")" = "$header" ] || fail "$f: header '$(sed -n 2p "$f")', expected '$header'"
  [ "$(tail -n +3 "$f" | wc -l)" -eq "$rows" ] || fail "$f: $(tail -n +3 "$f" | wc -l) rows, expected $rows"
  fcol=$(awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) if ($i == "F") print i }' "$f")
  awk -F, -v c="$fcol" 'NR > 2 { if (min == "" || $c + 0 < min) min = $c + 0; if ($c + 0 < 0) neg = 1
      for (i = 1; i <= NF; i++) if ($i !~ /^-?[0-9.]+(e[-+][0-9]+)?$/) bad = $i }
    END { if (min != 0 || neg || bad != "") { print "min F " min ", negative " neg ", bad field " bad; exit 1 } }' "$f" ||
    fail "$f: F column or values wrong"
}

# fastslow gaussian, m = 4: 1 rank vs 3 ranks, default grid (201 points)
hdr="z,F"
for i in 1 2 3 4; do hdr="$hdr,mean_y$i,var_y$i"; done
run 1 exact -out d1 || fail "exact on 1 rank: exit $? ($(tail -n 3 run.log))"
run 3 exact -out d3 || fail "exact on 3 ranks: exit $? ($(tail -n 3 run.log))"
check_table d1/exact.csv "$hdr" 201
check_table d3/exact.csv "$hdr" 201
cmp -s <(body d1/exact.csv) <(body d3/exact.csv) || fail "exact.csv differs between 1 and 3 ranks"
head -n 1 d1/exact.csv | grep -q '^#' || fail "first line of exact.csv is not the provenance comment"

# -exact_grid: 11 points from -2 to 2, on 2 ranks
run 2 exact -out g -exact_grid -2,2,11 || fail "exact -exact_grid: exit $? ($(tail -n 3 run.log))"
check_table g/exact.csv "$hdr" 11
[ "$(sed -n 3p g/exact.csv | cut -d, -f1)" = "-2" ] && [ "$(tail -n 1 g/exact.csv | cut -d, -f1)" = "2" ] &&
  [ "$(sed -n 8p g/exact.csv | cut -d, -f1)" = "0" ] || fail "-exact_grid -2,2,11: z column $(tail -n +3 g/exact.csv | cut -d, -f1 | tr '\n' ' ')"

# tilted coupling: ppos columns; 1 vs 3 ranks on a small grid
hdr_t="z,F"
for i in 1 2 3; do hdr_t="$hdr_t,mean_y$i,var_y$i,ppos_y$i"; done
run 1 exact -out t1 -fastslow_coupling tilted -fastslow_m 3 -beta 2 -exact_grid -1.5,1.5,31 || fail "tilted on 1 rank: exit $? ($(tail -n 3 run.log))"
run 3 exact -out t3 -fastslow_coupling tilted -fastslow_m 3 -beta 2 -exact_grid -1.5,1.5,31 || fail "tilted on 3 ranks: exit $? ($(tail -n 3 run.log))"
check_table t1/exact.csv "$hdr_t" 31
cmp -s <(body t1/exact.csv) <(body t3/exact.csv) || fail "tilted exact.csv differs between 1 and 3 ranks"

# mullerbrown and ring
run 2 exact -out mx -model mullerbrown -cv coord -cv_index 0 -exact_grid -1.5,1.2,28 || fail "mullerbrown x: exit $? ($(tail -n 3 run.log))"
check_table mx/exact.csv "z,F,mean_y1,var_y1" 28
run 1 exact -out my -model mullerbrown -cv coord -cv_index 1 -exact_grid -0.5,2,26 || fail "mullerbrown y: exit $? ($(tail -n 3 run.log))"
check_table my/exact.csv "z,F,mean_y1,var_y1" 26
run 3 exact -out ml -model mullerbrown -cv linear -cv_weights 1,-1 -exact_grid -3,1,21 || fail "mullerbrown linear: exit $? ($(tail -n 3 run.log))"
check_table ml/exact.csv "z,F,mean_y1,var_y1,mean_y2,var_y2" 21
run 1 exact -out m2a -model mullerbrown -cv coord -cv_index 0,1 -exact_grid -1.5,1.2,12,-0.5,2,9 || fail "mullerbrown 2-D on 1 rank: exit $? ($(tail -n 3 run.log))"
run 3 exact -out m2b -model mullerbrown -cv coord -cv_index 0,1 -exact_grid -1.5,1.2,12,-0.5,2,9 || fail "mullerbrown 2-D on 3 ranks: exit $? ($(tail -n 3 run.log))"
check_table m2a/exact.csv "z,z2,F" 108
cmp -s <(body m2a/exact.csv) <(body m2b/exact.csv) || fail "mullerbrown 2-D exact.csv differs between 1 and 3 ranks"
run 2 exact -out r -model ring || fail "ring: exit $? ($(tail -n 3 run.log))"
check_table r/exact.csv "z,F" 201

# bad input: exit code 2 and a message naming the problem, on 1 and 3 ranks
expect_input_error() { # NP PATTERN ARGS...
  local np=$1 pat=$2 rc
  shift 2
  run "$np" exact -out bad "$@"
  rc=$?
  [ $rc -eq 2 ] || fail "exact $* on $np ranks: exit code $rc, expected 2 ($(tail -n 3 run.log))"
  grep -q -- "$pat" run.log || fail "exact $* on $np ranks: no message matching '$pat' in: $(head -n 3 run.log)"
}
expect_input_error 1 "exact_grid.*lo must be below hi" -exact_grid 1,0,10
expect_input_error 3 "exact_grid.*lo must be below hi" -exact_grid 1,0,10
expect_input_error 1 "exact_grid needs 3 values" -exact_grid 0,1
expect_input_error 1 "exact_grid.*number of points" -exact_grid 0,1,1
expect_input_error 1 "no exact reference for model fastslow with CV coord y2" -cv coord -cv_index 2
# one window (-us_centers -1.4, kappa 40, beta 1): the default grid spans 4 standard deviations of
# its bias, -1.4 -+ 4 / sqrt(40), instead of the single centre
if run 1 exact -us_centers -1.4 -out one; then
  awk -F, 'NR > 2 { if (!n++) lo = $1; hi = $1 } END { exit !(n == 201 && (lo + 1.4 + 4 / sqrt(40))^2 < 1e-18 && (hi + 1.4 - 4 / sqrt(40))^2 < 1e-18) }' one/exact.csv ||
    fail "one window: exact.csv does not span -1.4 -+ 4/sqrt(40): $(sed -n 3p one/exact.csv | cut -d, -f1) .. $(tail -n 1 one/exact.csv | cut -d, -f1)"
else
  fail "exact with one window (-us_centers -1.4) failed: $(tail -n 1 run.log)"
fi
plugin="$BUILD/plugins/libdoublewell.so"
if [ -f "$plugin" ]; then
  expect_input_error 1 "no exact reference for model plugin" -model plugin -model_plugin "$plugin"
  expect_input_error 3 "no exact reference for model plugin" -model plugin -model_plugin "$plugin"
else
  echo "note: $plugin not built, plugin case skipped"
fi

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all checks passed"
