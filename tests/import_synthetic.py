#!/usr/bin/env python3
"""Synthetic umbrella data in the files of GROMACS and PLUMED, for the import tests (t321-t323).

Draws independent samples of each window's biased density exp(-(U(z) + W_k(z)) / kT) by inverse
CDF on a fine grid (numpy, fixed seed), and writes the same frames as
  gmx     pullx_KK.xvg (time, coordinate: nm, or degrees for the dihedral), winKK.mdp (the pull
          settings a user writes, with underscores and comments), tpr-files.dat, pullx-files.dat,
          mdp-files.dat (the .mdp files grompp writes with -po: mdout_KK.mdp)
  plumed  colvar_KK.dat ('#! FIELDS time <cv> y1 y2', nm or radians with '#! SET min_/max_' for
          the dihedral; y1, y2 fine coordinates), plumed-meta.dat (COLVAR CENTER KAPPA in
          kJ/mol), plumed-meta-kcal.dat (KAPPA in kcal/mol)
  truth   truth.npz: centres, spring constants (kJ/mol per unit^2 of the .mdp), the frames kept
          after -import_begin (BEGIN)
Usage: import_synthetic.py GEOMETRY(direction|dihedral) OUTDIR [SEED [FRAMES per window, 1200]]
"""
import os, sys
import numpy as np

geometry, out = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 7
rng = np.random.default_rng(seed)
T, kB = 300.0, 0.00831446261815324
kT = kB * T
FRAMES = int(sys.argv[4]) if len(sys.argv) > 4 else 1200
DT, BEGIN = 0.2, 20.0         # frames with t < BEGIN are dropped by -import_begin / gmx wham -b
os.makedirs(out, exist_ok=True)

if geometry == 'direction':
    grid = np.linspace(0.0, 3.0, 300001)
    U = 4.0 * ((grid - 1.5) ** 2 / 0.36 - 1.0) ** 2            # kJ/mol, a double well
    centres = np.linspace(0.6, 2.4, 16)
    kmdp = np.full(centres.size, 500.0)                          # kJ/mol/nm^2
    dz = lambda z, c: z - c
    period, unit_scale = 0.0, 1.0
else:
    grid = np.linspace(-180.0, 180.0, 360001)[:-1]
    U = 3.0 * (1 + np.cos(np.radians(grid - 60.0))) + 2.0 * np.cos(np.radians(2 * grid))  # kJ/mol
    centres = np.arange(-180.0, 180.0, 30.0)
    kmdp = np.full(centres.size, 50.0)                           # kJ/mol/rad^2 (GROMACS's unit for angles)
    dz = lambda z, c: (z - c + 180.0) % 360.0 - 180.0
    period, unit_scale = 360.0, (np.pi / 180) ** 2               # k per degree^2

t = DT * np.arange(FRAMES)
Z = []
for c, k in zip(centres, kmdp):
    W = 0.5 * k * unit_scale * dz(grid, c) ** 2
    p = np.exp(-(U + W - (U + W).min()) / kT)
    cdf = np.cumsum(p); cdf /= cdf[-1]
    z = np.interp(rng.random(FRAMES), cdf, grid)
    if period:
        z = (z + 180.0) % 360.0 - 180.0
    Z.append(z)
Z = np.array(Z)
keep = t >= BEGIN
np.savez(os.path.join(out, 'truth.npz'), centres=centres, k=kmdp, z=Z[:, keep], T=T, period=period, unit_scale=unit_scale, begin=BEGIN)

# ---- GROMACS (the dihedral runs grompp on alanine dipeptide, tests/data/ala2/)
with open(os.path.join(out, 'conf.gro'), 'w') as f:
    f.write('two beads\n    2\n    1REF     R1    1   0.000   0.000   0.000\n    2MOV     M1    2   0.000   0.000   0.000\n  20.00000  20.00000  20.00000\n')
with open(os.path.join(out, 'topol.top'), 'w') as f:
    f.write('[ defaults ]\n1 1 no 1.0 1.0\n\n[ atomtypes ]\nB 1.0 0.0 A 0.0 0.0\n\n'
            '[ moleculetype ]\nREF 1\n[ atoms ]\n1 B 1 REF R1 1 0.0 1.0\n\n'
            '[ moleculetype ]\nMOV 1\n[ atoms ]\n1 B 1 MOV M1 1 0.0 1.0\n\n[ system ]\nbeads\n\n[ molecules ]\nREF 1\nMOV 1\n')
with open(os.path.join(out, 'index.ndx'), 'w') as f:
    f.write('[ System ]\n1 2\n[ REF ]\n1\n[ MOV ]\n2\n')
for i, (c, k) in enumerate(zip(centres, kmdp)):
    with open(os.path.join(out, 'win%02d.mdp' % i), 'w') as f:
        f.write('; umbrella window %d\nintegrator = sd\nnsteps     = 0\ncutoff_scheme = Verlet\n'
                'tc_grps = System ; one group\ntau_t = 1\nref_t = %g\n' % (i, T))
        if geometry == 'direction':
            f.write('pull = yes\npull_ncoords = 1\npull_ngroups = 2\npull_group1_name = REF\npull_group2_name = MOV\n'
                    'pull_coord1_type = umbrella\npull_coord1_geometry = direction\npull_coord1_vec = 1 0 0\n'
                    'pull_coord1_groups = 1 2\n')
        else:
            f.write('pull = yes\npull_ncoords = 1\npull_ngroups = 4\n'
                    'pull_group1_name = C_ace\npull_group2_name = N_ala\npull_group3_name = CA_ala\npull_group4_name = C_ala\n'
                    'pull_coord1_type = umbrella\npull_coord1_geometry = dihedral\npull_coord1_groups = 1 2 2 3 3 4\n')
        f.write('pull_coord1_start = no\npull_coord1_init = %.17g\npull_coord1_k = %.17g ; kJ/mol/%s^2\n' % (c, k, 'nm' if geometry == 'direction' else 'rad'))
    with open(os.path.join(out, 'pullx_%02d.xvg' % i), 'w') as f:
        f.write('# synthetic pullx\n@    title "Pull COM"\n@    xaxis  label "Time (ps)"\n@    yaxis  label "Position (%s)"\n@TYPE xy\n@ s0 legend "1"\n' % ('nm' if geometry == 'direction' else 'deg'))
        for ti, zi in zip(t, Z[i]):
            f.write('%.4f\t%.17g\n' % (ti, zi))
K = centres.size
open(os.path.join(out, 'tpr-files.dat'), 'w').write(''.join('win%02d.tpr\n' % i for i in range(K)))
open(os.path.join(out, 'mdp-files.dat'), 'w').write(''.join('mdout_%02d.mdp\n' % i for i in range(K)))
open(os.path.join(out, 'pullx-files.dat'), 'w').write(''.join('pullx_%02d.xvg\n' % i for i in range(K)))

# ---- PLUMED: the same frames (radians for the dihedral, as PLUMED's TORSION)
name = 'd1' if geometry == 'direction' else 'phi'
conv = 1.0 if geometry == 'direction' else np.pi / 180
y = rng.normal(size=(K, FRAMES, 2)) + 0.5 * Z[:, :, None] * conv
with open(os.path.join(out, 'plumed-meta.dat'), 'w') as m, open(os.path.join(out, 'plumed-meta-kcal.dat'), 'w') as mk:
    for i in range(K):
        with open(os.path.join(out, 'colvar_%02d.dat' % i), 'w') as f:
            f.write('#! FIELDS time %s y1 y2\n' % name)
            if geometry != 'direction':
                f.write('#! SET min_%s -pi\n#! SET max_%s pi\n' % (name, name))
            for j in range(FRAMES):
                f.write('%.4f %.17g %.17g %.17g\n' % (t[j], Z[i, j] * conv, y[i, j, 0], y[i, j, 1]))
        m.write('colvar_%02d.dat %.17g %.17g\n' % (i, centres[i] * conv, kmdp[i]))
        mk.write('colvar_%02d.dat %.17g %.17g\n' % (i, centres[i] * conv, kmdp[i] / 4.184))
