#!/usr/bin/env bash
# umbra fes gives the same results at 1, 2 and 3 ranks, whatever rank count wrote samples.h5:
# every dataset of fes.h5 (f, covariance, bootstrap replicas of f and F, F and its errors, the
# overlap matrix, the consistency statistics, the per-sample log normalisers, ...) agrees to
# 1e-10 (absolute; h5diff -d). The only differences allowed are round-off: the ranks' partial sums
# are added in a different order (the reductions are K-vectors and K x K matrices; the block
# bootstrap draws are keyed by window and replica, not by rank). The cases cover MBAR and WHAM,
# a 1-D and a 2-D CV, and more ranks than some windows' owners. windows.csv keeps every column
# the sampler wrote, byte for byte, and gets f,df equal to fes.h5's.
# Catches: a reduction that misses or double-counts a rank's samples, rank-dependent bootstrap
# draws, windows read by the wrong rank, rows of the log normalisers written to the wrong place.
set -u
fail=0
run() { # np args...
  local np=$1
  shift
  timeout 300 $MPIEXEC -n "$np" $MPIEXEC_FLAGS "$UMBRA" "$@" </dev/null >>log.txt 2>&1 || { echo "umbra $* failed:"; tail -n 20 log.txt; fail=1; }
}
same() { # name: compares name.1 with name.2 and name.3
  for np in 2 3; do
    if ! h5diff -d 1e-10 --exclude-path /provenance "$1.1/fes.h5" "$1.$np/fes.h5" >"$1.diff" 2>&1; then
      echo "$1: fes.h5 at 1 and $np ranks differ by more than 1e-10:"
      head -n 20 "$1.diff"
      fail=1
    fi
    # fes.csv: same bins, F and dF within 1e-9 (printed with 10 and 6 significant digits)
    if ! paste -d, <(tail -n +3 "$1.1/fes.csv") <(tail -n +3 "$1.$np/fes.csv") | awk -F, '
        { n = NF / 2; for (i = 1; i <= n; i++) { a = $i; b = $(i + n)
            if (a == "nan" || b == "nan") { if (a != b) bad = 1; continue }
            d = a - b; if (d < 0) d = -d; s = (a < 0 ? -a : a); if (d > 1e-9 + 1e-5 * s) bad = 1 } }
        END { exit bad }'; then
      echo "$1: fes.csv at 1 and $np ranks differ"
      fail=1
    fi
  done
}
# 1-D: samples written on 3 ranks; fes on 1, 2, 3 ranks (MBAR with a bootstrap, and WHAM)
run 3 sample -us_windows 7 -us_walkers 3 -us_steps 6000 -us_stride 10 -out base
cp base/windows.csv sampler-windows.csv
for np in 1 2 3; do
  mkdir -p mbar.$np wham.$np
  cp base/samples.h5 base/windows.csv mbar.$np/
  cp base/samples.h5 wham.$np/
  run $np fes -out mbar.$np -fes_bootstrap 12 -fes_bins 60
  run $np fes -out wham.$np -fes_type wham -fes_bootstrap 8 -fes_bins 30
done
same mbar
same wham
# 2-D, 3 x 2 windows on 1, 2, 3 ranks. (The windows must overlap well: with nearly disconnected
# windows the solution is ill-conditioned and round-off is amplified accordingly.)
run 2 sample -cv coord -cv_index 0,1 -us_windows 3,2 -us_range -0.6,0.6,0,1 -us_kappa 20,8 -us_walkers 2 -us_steps 6000 -us_stride 10 -us_dt 5e-4 -out base2
for np in 1 2 3; do
  mkdir -p twod.$np && cp base2/samples.h5 twod.$np/
  run $np fes -out twod.$np -fes_bootstrap 6 -fes_bins 12,8
done
same twod
# windows.csv: the sampler's columns unchanged, f and df those of fes.h5
for np in 1 2 3; do
  if ! diff <(tail -n +2 sampler-windows.csv | cut -d, -f1-5) <(tail -n +2 mbar.$np/windows.csv | cut -d, -f1-5) >/dev/null; then
    echo "windows.csv at $np ranks: the sampler's columns changed"; fail=1
  fi
  head -n 2 mbar.$np/windows.csv | tail -n 1 | grep -qx 'window,center,kappa,n_samples,iact,f,df' || { echo "windows.csv header changed"; fail=1; }
  if awk -F, 'NR > 2 && ($6 == "nan" || $7 == "nan") { bad = 1 } END { exit !bad }' mbar.$np/windows.csv; then
    echo "windows.csv at $np ranks: f or df not filled"; fail=1
  fi
done
# the f column equals /windows/f of fes.h5 (printed with 10 significant digits)
h5dump -d /windows/f -m %.17g -y -w 0 mbar.1/fes.h5 | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr ',' '\n' | tr -d ' ' | grep -v '^$' >f_h5.txt
tail -n +3 mbar.1/windows.csv | cut -d, -f6 >f_csv.txt
paste f_h5.txt f_csv.txt | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-9) bad = 1; n++ } END { exit (bad || n != 7) }' || { echo "windows.csv f differs from fes.h5 /windows/f"; paste f_h5.txt f_csv.txt; fail=1; }
exit $fail
