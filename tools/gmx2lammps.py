#!/usr/bin/python3
"""Write a LAMMPS data file (units real, atom_style full) from a GROMACS topology.

The parameters are taken from `gmx dump -s` of the .tpr that `gmx grompp` builds, so every
force-field lookup, default and combination rule is already resolved by GROMACS itself.
Supported: one molecule; harmonic bonds (1) and angles (1); proper dihedrals (9, one LAMMPS
entry per Fourier term) and periodic impropers (4), both as dihedral_style charmm with weight 0;
LJ as explicit PairIJ Coeffs; LJ-14 pairs that are fudgeLJ x the LJ(SR) parameters on exactly
the 1-4 neighbours of the bond graph (what LAMMPS special_bonds can express). Anything else
stops the conversion with a message instead of being approximated.

usage: gmx2lammps.py [--top T] [--gro G] [--mdp M] [--gmx BIN] [--maxwarn N] [-o OUT]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

KCAL = 4.184            # kJ per kcal
NM = 10.0               # Angstrom per nm
ELEMENT = {1: "H", 6: "C", 7: "N", 8: "O", 9: "F", 11: "Na", 15: "P", 16: "S", 17: "Cl"}
# gmx dump names of the interactions this converter handles, and the number of atoms of each
SUPPORTED = {"BONDS": 2, "ANGLES": 3, "PDIHS": 4, "PIDIHS": 4, "LJ14": 2}


def die(msg):
    sys.exit("gmx2lammps: error: " + msg)


def run_gmx(gmx, top, gro, mdp, maxwarn):
    """grompp + dump in a scratch directory (grompp writes mdout.mdp into the cwd)."""
    with tempfile.TemporaryDirectory(prefix="gmx2lammps.") as tmp:
        tpr = os.path.join(tmp, "topol.tpr")
        cmds = [[gmx, "-quiet", "grompp", "-f", mdp, "-c", gro, "-p", top, "-o", tpr,
                 "-po", os.path.join(tmp, "mdout.mdp"), "-maxwarn", str(maxwarn)],
                [gmx, "-quiet", "dump", "-s", tpr]]
        for cmd in cmds:
            p = subprocess.run(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if p.returncode != 0:
                sys.stderr.write(p.stderr)
                die("'%s' failed (exit %d)" % (" ".join(cmd[:3]), p.returncode))
        return p.stdout


def kv(text):
    """'b0A= 1.09e-01, cbA= 2.8e+05, mult=1' -> {'b0A': 0.109, ...}"""
    return {k: float(v) for k, v in re.findall(r"(\w+)=\s*([-+0-9.eE]+)", text)}


def parse_dump(d):
    def one(pattern, what):
        m = re.search(pattern, d, re.M)
        if not m:
            die("gmx dump output has no %s" % what)
        return m.group(1)

    if one(r"^\s*#molblock\s*=\s*(\d+)", "#molblock") != "1" or \
       one(r"^\s*#molecules\s*=\s*(\d+)", "#molecules") != "1":
        die("only a topology with a single molecule is supported")
    if one(r"^\s*bIntermolecularInteractions\s*=\s*(\w+)", "bIntermolecularInteractions") != "false":
        die("intermolecular interactions are not supported")
    atnr = int(one(r"^\s*atnr=(\d+)", "atnr"))
    fudge_qq = float(one(r"^\s*fudgeQQ\s*=\s*(\S+)", "fudgeQQ"))

    ftypes = {}
    for i, name, rest in re.findall(r"^\s*functype\[(\d+)\]=(\w+),?(.*)$", d, re.M):
        if name != "LJ_SR" and name not in SUPPORTED:
            die("function type %s (functype[%s]) cannot be converted" % (name, i))
        p = kv(rest)
        # B-state parameters (free-energy perturbation) have no LAMMPS counterpart here
        for a in [k for k in p if k.endswith("A")]:
            if p[a] != p.get(a[:-1] + "B", p[a]):
                die("functype[%s] (%s) has B-state parameters different from A" % (i, name))
        ftypes[int(i)] = (name, p)
    lj = [ftypes[i][1] for i in range(atnr * atnr)]   # LJ_SR matrix comes first, row-major
    if any(ftypes[i][0] != "LJ_SR" for i in range(atnr * atnr)):
        die("the LJ_SR table is not a plain %dx%d Lennard-Jones matrix" % (atnr, atnr))

    atoms = []
    for m in re.finditer(r"^\s*atom\[\s*\d+\]=\{type=\s*(\d+), typeB=\s*(\d+), ptype=\s*(\w+), "
                         r"m=\s*(\S+), q=\s*(\S+), mB=\s*(\S+), qB=\s*(\S+), resind=\s*\d+, "
                         r"atomnumber=\s*(-?\d+)\}", d, re.M):
        t, tb, ptype, mass, q, mb, qb, z = m.groups()
        if ptype != "Atom" or t != tb or mass != mb or q != qb:
            die("atom %d: only plain atoms without a B state are supported" % (len(atoms) + 1))
        atoms.append(dict(type=int(t), mass=float(mass), q=float(q), z=int(z)))
    names = re.findall(r'^\s*atom\[\d+\]=\{name="([^"]*)"\}', d, re.M)
    tnames = re.findall(r'^\s*type\[\d+\]=\{name="([^"]*)",nameB="[^"]*"\}', d, re.M)
    if not atoms or len(names) != len(atoms) or len(tnames) != len(atoms):
        die("could not read the atoms of the molecule from gmx dump")
    for a, n, tn in zip(atoms, names, tnames):
        a["name"], a["tname"] = n, tn

    excls = {int(i): {int(x) for x in body.replace(",", " ").split()}
             for i, body in re.findall(r"excls\[(\d+)\]\[num=\d+\]=\{([^}]*)\}", d)}

    inter = {k: [] for k in SUPPORTED}
    for t, name, idx in re.findall(r"^\s*\d+ type=(\d+) \((\w+)\)((?:[ \t]+\d+)+)[ \t]*$", d, re.M):
        if name not in SUPPORTED:
            die("interaction %s cannot be converted" % name)
        inter[name].append((int(t), [int(x) for x in idx.split()]))
    return atnr, fudge_qq, ftypes, lj, atoms, excls, inter


def check_pairs(atoms, lj, atnr, excls, ftypes, bonds, lj14):
    """LAMMPS special_bonds weights the 1-2/1-3/1-4 neighbours of the bond graph; the GROMACS
    exclusions and pairs must be exactly those, and LJ-14 one constant fudge of LJ(SR)."""
    n = len(atoms)
    nb = [set() for _ in range(n)]
    for _, (i, j) in bonds:
        nb[i].add(j)
        nb[j].add(i)
    shell = []
    for i in range(n):
        s1 = nb[i]
        s2 = set().union(*[nb[j] for j in s1]) - s1 - {i}
        s3 = set().union(*[nb[j] for j in s2]) - s2 - s1 - {i}
        shell.append((s1, s2, s3))
        if excls.get(i, set()) != {i} | s1 | s2 | s3:
            die("exclusions of atom %d are not its 1-2, 1-3 and 1-4 neighbours (nrexcl 3)" % (i + 1))
    pairs = {tuple(sorted(ij)) for _, ij in lj14}
    want = {(i, j) for i in range(n) for j in shell[i][2] if i < j}
    if pairs != want:
        die("the [ pairs ] are not exactly the 1-4 neighbours of the bond graph")
    fudge = set()
    for t, (i, j) in lj14:
        p, s = ftypes[t][1], lj[atoms[i]["type"] * atnr + atoms[j]["type"]]
        for a, b in (("c6A", "c6"), ("c12A", "c12")):
            if s[b] != 0.0:
                fudge.add(round(p[a] / s[b], 5))
            elif p[a] != 0.0:
                die("LJ-14 of atoms %d-%d is not a multiple of LJ(SR)" % (i + 1, j + 1))
    if len(fudge) > 1:
        die("LJ-14 is not one constant fudge factor of LJ(SR): %s" % sorted(fudge))
    return fudge.pop() if fudge else 0.0


def read_gro(path, natoms):
    with open(path) as f:
        lines = f.read().splitlines()
    if int(lines[1]) != natoms:
        die("%s has %s atoms, the topology %d" % (path, lines[1].strip(), natoms))
    # fixed columns: positions at 20-28, 28-36, 36-44 (nm)
    x = [[float(l[20 + 8 * k:28 + 8 * k]) * NM for k in range(3)] for l in lines[2:2 + natoms]]
    box = [float(v) * NM for v in lines[2 + natoms].split()]
    if len(box) > 3 and any(box[3:]):
        die("triclinic boxes are not supported")
    return x, box[:3]


def g(v):
    return "%.12g" % v


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "inputs", "ala2", "gromacs")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", default=os.path.join(src, "ala2.top"))
    ap.add_argument("--gro", default=os.path.join(src, "em.gro"))
    ap.add_argument("--mdp", default=os.path.join(src, "sp.mdp"))
    # double precision by default: the reference energies are from gmx_d, and its dump prints
    # the parameters without single-precision round-off
    ap.add_argument("--gmx", default="gmx_d" if shutil.which("gmx_d") else "gmx")
    ap.add_argument("--maxwarn", type=int, default=0)
    ap.add_argument("-o", "--out", default="-")
    a = ap.parse_args()
    top, gro, mdp = (os.path.abspath(p) for p in (a.top, a.gro, a.mdp))

    dump = run_gmx(a.gmx, top, gro, mdp, a.maxwarn)
    atnr, fudge_qq, ftypes, lj, atoms, excls, inter = parse_dump(dump)
    fudge_lj = check_pairs(atoms, lj, atnr, excls, ftypes, inter["BONDS"], inter["LJ14"])
    x, box = read_gro(gro, len(atoms))

    # one LAMMPS type per GROMACS parameter set actually used, in GROMACS order
    def types(kind_list):
        used = sorted({t for t, _ in kind_list})
        return {t: k + 1 for k, t in enumerate(used)}
    btype, atype = types(inter["BONDS"]), types(inter["ANGLES"])
    dihs = inter["PDIHS"] + inter["PIDIHS"]
    dtype = types(dihs)

    # masses are per atom in GROMACS, per type in LAMMPS
    mass, elem, tname = {}, {}, {}
    for at in atoms:
        if mass.setdefault(at["type"], at["mass"]) != at["mass"]:
            die("atoms of type %s have different masses" % at["tname"])
        elem[at["type"]] = ELEMENT.get(at["z"], "Z=%d" % at["z"])
        tname[at["type"]] = at["tname"]
    missing = [t for t in range(atnr) if t not in mass]
    if missing:
        die("atom types %s are not used by any atom" % missing)

    def label(idx):
        return "-".join(atoms[i]["tname"] for i in idx)
    first = {}
    for t, idx in inter["BONDS"] + inter["ANGLES"] + dihs:
        first.setdefault(t, label(idx))

    o = ["LAMMPS data file (units real, atom_style full): %s + %s, converted by gmx2lammps.py "
         "from gmx dump; special_bonds lj 0.0 0.0 %g coul 0.0 0.0 %g"
         % (os.path.basename(top), os.path.basename(gro), fudge_lj, fudge_qq), ""]
    o += ["%d atoms" % len(atoms), "%d bonds" % len(inter["BONDS"]),
          "%d angles" % len(inter["ANGLES"]), "%d dihedrals" % len(dihs), "",
          "%d atom types" % atnr, "%d bond types" % len(btype), "%d angle types" % len(atype),
          "%d dihedral types" % len(dtype), ""]
    for k, ax in enumerate("xyz"):
        o.append("0.0 %s %slo %shi" % (g(box[k]), ax, ax))
    o += ["", "Masses", ""]
    o += ["%d %s # %s %s" % (t + 1, g(mass[t]), tname[t], elem[t]) for t in range(atnr)]
    o += ["", "PairIJ Coeffs # lj/cut/coul/cut", ""]
    for i in range(atnr):
        for j in range(i, atnr):
            c6, c12 = lj[i * atnr + j]["c6"], lj[i * atnr + j]["c12"]
            if c6 > 0 and c12 > 0:
                eps, sig = c6 * c6 / (4 * c12) / KCAL, (c12 / c6) ** (1 / 6) * NM
            elif c6 == 0 and c12 == 0:
                eps, sig = 0.0, 0.0
            else:
                die("LJ pair %s-%s (c6 %g, c12 %g) is not an epsilon/sigma pair"
                    % (tname[i], tname[j], c6, c12))
            o.append("%d %d %s %s # %s-%s" % (i + 1, j + 1, g(eps), g(sig), tname[i], tname[j]))
    # GROMACS harmonic terms are k/2 (x-x0)^2, LAMMPS's K (x-x0)^2
    o += ["", "Bond Coeffs # harmonic", ""]
    for t, k in btype.items():
        p = ftypes[t][1]
        o.append("%d %s %s # %s" % (k, g(p["cbA"] / 2 / KCAL / NM ** 2), g(p["b0A"] * NM), first[t]))
    o += ["", "Angle Coeffs # harmonic", ""]
    for t, k in atype.items():
        p = ftypes[t][1]
        o.append("%d %s %s # %s" % (k, g(p["ctA"] / 2 / KCAL), g(p["thA"]), first[t]))
    o += ["", "Dihedral Coeffs # charmm", ""]
    for t, k in dtype.items():
        name, p = ftypes[t]
        n, phase = p["mult"], p["phiA"]
        if phase != round(phase) or n != round(n) or n < 0:
            die("functype[%d] (%s): charmm needs integer phase and multiplicity, got %g, %g"
                % (t, name, phase, n))
        kind = "proper" if name == "PDIHS" else "improper"
        o.append("%d %s %d %d 0.0 # %s %s" % (k, g(p["cpA"] / KCAL), n, phase, kind, first[t]))
    o += ["", "Atoms # full", ""]
    for i, at in enumerate(atoms):
        o.append("%d 1 %d %s %s %s %s # %s" % (i + 1, at["type"] + 1, g(at["q"]),
                                               *(g(v) for v in x[i]), at["name"]))
    for title, lst, tmap in (("Bonds", inter["BONDS"], btype), ("Angles", inter["ANGLES"], atype),
                             ("Dihedrals", dihs, dtype)):
        o += ["", title, ""]
        o += ["%d %d %s" % (k + 1, tmap[t], " ".join(str(i + 1) for i in idx))
              for k, (t, idx) in enumerate(lst)]
    text = "\n".join(o) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
