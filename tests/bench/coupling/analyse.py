#!/usr/bin/env python3
"""Tables of the coupling experiment (run.sh; usage: analyse.py [--csv FILE] [--arms "coupled longer more flow"] [--cw C_W] OUT SEED...): errors of F(z) and of the physics closure mean_y1
against exact.csv for each arm and seed, the walker-steps each arm spent, and the mode weight
P(y > 0 | x) of the lifted seeds against the round-0 samples and the exact value; the wall time of
each arm (OUT/<arm><seed>.seconds) and the flow moves' acceptance of the flow arm."""
import sys
import h5py
import numpy as np

CW, T = 6.0, 2.0  # -fastslow_cw (--cw), -fastslow_t of run.sh (beta = 1)
MIXED = 0.55      # |x| below which P(y > 0 | x) is in [0.1, 0.9] (set from CW by main)
KEYS = ("F", "y1", "y1_mixed", "y1_one", "y1_gan", "F_in")


def table(path):
    names = np.genfromtxt(path, delimiter=",", skip_header=1, max_rows=1, dtype=str)
    cols = np.genfromtxt(path, delimiter=",", skip_header=2, dtype=str)
    return {n: cols[:, i] for i, n in enumerate(names)}


WIDE = None  # OUT/exact-wide/exact.csv when run.sh wrote it: exact F over every fes.csv bin


def errors(d):
    ex = table(d + "/exact.csv")
    ez, eF, ey = (ex[k].astype(float) for k in ("z", "F", "mean_y1"))
    fe = table(d + "/fes.csv")
    z, F = fe["z"].astype(float), fe["F"].astype(float)
    ok = np.isfinite(F)
    # exact F of every bin from the wide table; without it the run's own table, beyond whose
    # range np.interp holds exact F constant (the bins past the end windows, |z| up to 1.8,
    # then measure that extrapolation, not the estimate)
    wz, wF = (WIDE["z"].astype(float), WIDE["F"].astype(float)) if WIDE is not None else (ez, eF)
    diff = F[ok] - np.interp(z[ok], wz, wF)
    # inside the run's exact table (the window range) only
    inside = (z[ok] >= ez.min()) & (z[ok] <= ez.max())
    din = diff[inside] - diff[inside].mean()
    diff -= diff.mean()
    c = table(d + "/closures.csv")
    m = c["observable"] == "mean_y1"
    zc = c["z"][m].astype(float)
    dy = c["physics"][m].astype(float) - np.interp(zc, ez, ey)
    mixed = np.abs(zc) <= MIXED  # both modes of y carry weight: exact P(y > 0) in [0.1, 0.9]
    out = {"F": np.sqrt(np.mean(diff ** 2)), "F_in": np.sqrt(np.mean(din ** 2)), "y1": np.sqrt(np.nanmean(dy ** 2)),
           "y1_mixed": np.sqrt(np.nanmean(dy[mixed] ** 2)), "y1_one": np.sqrt(np.nanmean(dy[~mixed] ** 2))}
    g = c["gan"][m].astype(float)
    out["y1_gan"] = np.sqrt(np.nanmean((g - np.interp(zc, ez, ey)) ** 2)) if np.isfinite(g).any() else np.nan
    return out


def budget(d):
    with h5py.File(d + "/samples.h5", "r") as f:
        w = f["windows"]
        K = w["center"].shape[0]
        return K * int(w.attrs["walkers"]) * (int(w.attrs["steps"]) + int(w.attrs["burnin"]))


def p_exact(x):
    y = np.linspace(-3, 3, 6001)
    u = CW * (y * y - 1) ** 2 - T * x * y
    p = np.exp(-(u - u.min()))
    return p[y > 0].sum() / p.sum()


ARMS = {  # label, directory, its key in --arms
    "round 0 (coupled arm before the round)": ("coupled{s}/round0", "coupled"),
    "coupled (round 1)": ("coupled{s}", "coupled"),
    "physics: longer runs": ("longer{s}", "longer"),
    "physics: more windows": ("more{s}", "more"),
    "round 0 (flow arm before the round)": ("flow{s}/round0", "flow"),
    "flow (round 1, flow moves)": ("flow{s}", "flow"),
    "flow arm, round-1 windows alone (half the budget)": ("flow{s}/coupling1", "flowalone"),
}
SECONDS = {"coupled (round 1)": "coupled", "physics: longer runs": "longer", "physics: more windows": "more",
           "flow (round 1, flow moves)": "flow"}


def seconds(out, arm, s):
    try:
        with open(f"{out}/{SECONDS[arm]}{s}.seconds") as f:
            return float(f.read())
    except (KeyError, OSError, ValueError):
        return np.nan


def acceptance(d):
    """flow moves of the windows sampled with them: acceptance range and switches per proposal"""
    w = table(d + "/windows.csv")
    if "flow_proposals" not in w:
        return ""
    p = w["flow_proposals"].astype(float)
    a, sw = w["flow_acceptance"].astype(float)[p > 0], w["flow_switch_rate"].astype(float)[p > 0]
    return f"acceptance {a.min():.2f} .. {a.max():.2f}, mode switches per proposal {sw.min():.3f} .. {sw.max():.3f}"


def mixed_range():
    """|x| below which the exact P(y > 0 | x) is in [0.1, 0.9] (symmetric: P(-x) = 1 - P(x)),
    rounded down to a multiple of 0.05"""
    xs = np.linspace(0, 1.5, 1501)
    return np.floor(xs[np.argmax([p_exact(-x) < 0.1 for x in xs])] / 0.05) * 0.05


def main(out, seeds, csv=None, arms="coupled longer more flow flowalone"):
    global MIXED, WIDE
    MIXED = mixed_range()
    try:
        WIDE = table(out + "/exact-wide/exact.csv")
        print(f"F RMS over all bins against {out}/exact-wide/exact.csv (z in [{WIDE['z'].astype(float).min()}, {WIDE['z'].astype(float).max()}])\n")
    except OSError:
        print("F RMS over all bins against each run's exact.csv (held constant beyond the window range)\n")
    rows = []
    use = [a for a, (_, k) in ARMS.items() if k in arms.split()]
    print(f"| seed | arm | windows x walkers x steps | walker-steps | wall s | F RMS (kT) | mean_y1 RMS | mean_y1 RMS, abs(z) <= {MIXED:.2f} | mean_y1 RMS, abs(z) > {MIXED:.2f} | mean_y1 RMS (generator) | F RMS in abs(z) <= 1.5 (kT) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in seeds:
        for arm in use:
            d = f"{out}/" + ARMS[arm][0].format(s=s)
            e = errors(d)
            with h5py.File(d + "/samples.h5", "r") as f:
                w = f["windows"]
                shape = f"{w['center'].shape[0]} x {int(w.attrs['walkers'])} x {int(w.attrs['steps']) + int(w.attrs['burnin'])}"
            b, t = budget(d), seconds(out, arm, s)
            rows.append((s, arm, b, t) + tuple(e[k] for k in KEYS))
            print(f"| {s} | {arm} | {shape} | {b:.4g} | {t:.0f} | " + " | ".join(f"{e[k]:.3f}" for k in KEYS) + " |")
    if csv:
        with open(csv, "w") as f:
            f.write("seed,arm,walker_steps,wall_s," + ",".join(f"rms_{k}" for k in KEYS) + "\n")
            for r in rows:
                f.write(f"{r[0]},{r[1]},{r[2]},{r[3]:.1f}," + ",".join(f"{v:.6g}" for v in r[4:]) + "\n")
    print()
    print(f"mean and standard deviation over {len(seeds)} seeds:")
    print(f"| arm | wall s | F RMS (kT) | mean_y1 RMS | mean_y1 RMS, abs(z) <= {MIXED:.2f} | mean_y1 RMS, abs(z) > {MIXED:.2f} | mean_y1 RMS (generator) | F RMS in abs(z) <= 1.5 (kT) |")
    print("|---|---|---|---|---|---|---|---|")
    for arm in dict.fromkeys(r[1] for r in rows):
        r = np.array([x[3:] for x in rows if x[1] == arm], dtype=float)
        cells = []
        for j in range(r.shape[1]):
            v = r[:, j][np.isfinite(r[:, j])]
            cells.append("" if not len(v) else f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0:.3f}")
        print(f"| {arm} | " + " | ".join(cells) + " |")
    print()
    print("paired differences, coupled or flow arm minus physics (mean ± standard error over seeds; negative: the coupled arm is better), and the ratio of the mean RMS:")
    print(f"| arm | against | F RMS (kT) | mean_y1 RMS | mean_y1 RMS, abs(z) <= {MIXED:.2f} | mean_y1 RMS, abs(z) > {MIXED:.2f} | F RMS in abs(z) <= 1.5 | seeds where it is better (F, mean_y1) | physics / arm (F, mean_y1, F in abs(z) <= 1.5) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mine in ("coupled (round 1)", "flow (round 1, flow moves)", "flow arm, round-1 windows alone (half the budget)"):
        cp = {x[0]: np.array(x[4:8] + x[9:10], dtype=float) for x in rows if x[1] == mine}
        for arm in ("physics: longer runs", "physics: more windows"):
            d = np.array([cp[x[0]] - np.array(x[4:8] + x[9:10], dtype=float) for x in rows if x[1] == arm and x[0] in cp])
            if not len(d):
                continue
            ph = np.array([x[4:8] + x[9:10] for x in rows if x[1] == arm and x[0] in cp], dtype=float).mean(axis=0)
            me = np.array([cp[x[0]] for x in rows if x[1] == arm and x[0] in cp]).mean(axis=0)
            se = d.std(axis=0, ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.zeros(5)
            print(f"| {mine} | {arm} | " + " | ".join(f"{d[:, j].mean():+.3f} ± {se[j]:.3f}" for j in range(5)) +
                  f" | {(d[:, 0] < 0).sum()} and {(d[:, 1] < 0).sum()} of {len(d)} | {ph[0] / me[0]:.2f}, {ph[1] / me[1]:.2f}, {ph[4] / me[4]:.2f} |")
    if "flow" in arms.split():
        print()
        print("flow moves of the flow arm's round 1 (windows.csv):")
        for s in seeds:
            print(f"seed {s}: " + acceptance(f"{out}/flow{s}"))
    if "coupled" not in arms.split():
        return
    print()
    print("mode weight P(y > 0 | x) at the new centres: exact, round-0 samples within 0.05, lifted seeds (8 walkers each)")
    for s in seeds:
        with h5py.File(f"{out}/coupled{s}/coupling1/seeds.h5", "r") as f:
            c, x = f["seeds/center"][:, 0], f["seeds/x"][:]
        with h5py.File(f"{out}/coupled{s}/round0/samples.h5", "r") as f:
            z0, y0 = f["samples/z"][:, 0], f["samples/x"][:, 1]
        line = []
        for j in range(len(c)):
            near = np.abs(z0 - c[j]) < 0.05
            line.append(f"{c[j]:+.2f}: {p_exact(c[j]):.2f}/{np.mean(y0[near] > 0) if near.any() else np.nan:.2f}/{np.mean(x[j, :, 1] > 0):.2f}")
        print(f"seed {s}: " + "  ".join(line))


if __name__ == "__main__":
    args = sys.argv[1:]
    csv, arms = None, "coupled longer more flow flowalone"
    while len(args) > 1 and args[0] in ("--csv", "--arms", "--cw"):
        if args[0] == "--csv":
            csv = args[1]
        elif args[0] == "--cw":
            CW = float(args[1])
        else:
            arms = args[1]
        args = args[2:]
    main(args[0], args[1:], csv, arms)
