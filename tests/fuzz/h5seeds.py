#!/usr/bin/env python3
"""Writes the seed corpus of the h5struct fuzz target (corpus/h5struct/): one valid input per
reader, in the record encoding of h5gen.h. Run from tests/fuzz after changing the encoding."""
import os

NAMES = {  # the tables of h5struct.c, in order
    'samples': (['/samples/z', '/samples/x', '/windows/offset', '/windows/center', '/windows/kappa', '/windows/iact', '/windows/round', '/samples/log_normaliser'],
                ['/', '/samples', '/windows'],
                ['beta', 'cv_period', 'cv_names', 'walkers', 'frames_per_walker', 'stride', 'burnin', 'dt', 'umbra_format', 'umbra_kind']),
    'dmap': (['/dmap/points', '/dmap/eigenvectors', '/dmap/coordinates', '/dmap/column_weight', '/dmap/eigenvalues', '/dmap/column_order', '/dmap/rho2'],
             ['/', '/dmap'], ['kernel', 'eps', 'alpha', 'cutoff', 'neighbors', 'umbra_format', 'umbra_kind']),
    'ckpt': (['/state/x', '/state/step', '/state'], ['/', '/state'], ['options', 'step', 'umbra_format', 'umbra_kind']),
    'plan': (['/windows/center', '/windows/kappa', '/windows/round', '/windows/n_eff', '/diagnostics/neighbours', '/diagnostics/neighbour_overlap', '/diagnostics/consistency_p', '/samples/z'],
             ['/', '/samples', '/diagnostics', '/windows'], ['cv_period', 'consistency_alpha', 'umbra_format', 'umbra_kind']),
    'info': (['/samples/z', '/provenance', '/a/b/c'], ['/', '/provenance'],
             ['umbra_kind', 'umbra_format', 'version', 'command', 'ranks', 'date', 'host', 'libraries', 'options']),
}
DIMS = {16: 248, 64: 249, 1000: 250}


def num(v):
    """byte of a value (h5gen.h FuzzNumber)"""
    if v == 0.5:
        return 12
    if v == -1:
        return 1
    assert v == int(v) and 0 <= v <= 239, v
    return int(v) + 16


def dim(n):
    return DIMS.get(n, n)


def dataset(kind, name, values, shape, typ=0, f=0):
    i = NAMES[kind][0].index(name)
    out = [(i << 2) | (f << 1), typ, len(shape)] + [dim(n) for n in shape]
    return out + [num(v) for v in values]


def attr(kind, obj, name, value, f=0):
    i = NAMES[kind][2].index(name)
    out = [(i << 2) | (f << 1) | 1, NAMES[kind][1].index(obj)]
    if isinstance(value, str):
        return out + [0, len(value)] + list(value.encode())
    if isinstance(value, int):
        value = [value]
        return out + [2, 1, num(value[0])]
    return out + [1, len(value)] + [num(v) for v in value]


def samples():
    K, N = 4, 16
    rec = [0, 1]
    rec += dataset('samples', '/samples/z', [(i % 7) for i in range(N)], [N, 1])
    rec += dataset('samples', '/windows/offset', [0, 4, 8, 12, 16], [5], typ=1)
    rec += dataset('samples', '/windows/center', [0, 1, 2, 3], [K])
    rec += dataset('samples', '/windows/kappa', [10] * K, [K])
    rec += attr('samples', '/samples', 'beta', [1])
    rec += attr('samples', '/windows', 'walkers', 2)
    rec += attr('samples', '/windows', 'frames_per_walker', 2)
    rec += attr('samples', '/samples', 'cv_names', 'z')
    return rec


def dmap():
    M, n = 6, 2
    rec = [1, 1]
    rec += dataset('dmap', '/dmap/points', [(i * 3) % 5 for i in range(M * n)], [M, n])
    rec += dataset('dmap', '/dmap/eigenvectors', [(i % 4) for i in range(M * 2)], [M, 2])
    rec += dataset('dmap', '/dmap/coordinates', [1], [1], typ=1)
    rec += dataset('dmap', '/dmap/column_weight', [1] * M, [M])
    rec += dataset('dmap', '/dmap/eigenvalues', [0.5, 0.5], [2])
    rec += dataset('dmap', '/dmap/column_order', [1, 2], [2], typ=1)
    rec += dataset('dmap', '/dmap/rho2', [1] * M, [M])
    rec += attr('dmap', '/dmap', 'kernel', 'knn')
    rec += attr('dmap', '/dmap', 'eps', [1])
    rec += attr('dmap', '/dmap', 'alpha', [1])
    rec += attr('dmap', '/dmap', 'cutoff', [0])
    rec += attr('dmap', '/dmap', 'neighbors', 3)
    return rec


def ckpt(both):
    rec = [2, 1]
    for f in ([0, 1] if both else [1]):
        rec += dataset('ckpt', '/state/x', [1, 2, 3, 4], [2, 2], f=f)
        rec += attr('ckpt', '/', 'options', 'seed=1\n', f=f)
        rec += attr('ckpt', '/state', 'step', 7, f=f)
    return rec


def plan():
    K = 4
    # overlap_min 0.5, neff_min 2, reseed, extend lo -1 hi 6, max 8, one centre 1, round 1
    rec = [3, 1, num(0.5), num(2), 1, 1, num(-1), num(6), 7, 1, num(1), 1]
    rec += dataset('plan', '/windows/center', [0, 1, 2, 3], [K])
    rec += dataset('plan', '/windows/kappa', [10] * K, [K])
    rec += attr('plan', '/samples', 'cv_period', [0])
    rec += dataset('plan', '/windows/n_eff', [100, 1, 100, 100], [K], f=1)
    rec += attr('plan', '/diagnostics', 'consistency_alpha', [0.5], f=1)
    rec += dataset('plan', '/diagnostics/neighbours', [0, 1, 1, 2, 2, 3], [3, 2], typ=1, f=1)
    rec += dataset('plan', '/diagnostics/neighbour_overlap', [0.5, 0.5, 0, 0, 1, 1], [3, 2], f=1)
    rec += dataset('plan', '/diagnostics/consistency_p', [1, 0, 1], [3], f=1)
    return rec


def info():
    rec = [4, 1]
    for k in ['version', 'command', 'ranks', 'date', 'host', 'libraries', 'options']:
        rec += attr('info', '/provenance', k, k[:3])
    rec += dataset('info', '/a/b/c', [1, 2], [2])
    return rec


os.makedirs('corpus/h5struct', exist_ok=True)
for name, rec in [('samples', samples()), ('dmap', dmap()), ('checkpoint', ckpt(True)), ('checkpoint-prev', ckpt(False)),
                  ('coupling-plan', plan()), ('info', info())]:
    with open(f'corpus/h5struct/{name}', 'wb') as f:
        f.write(bytes(rec))
