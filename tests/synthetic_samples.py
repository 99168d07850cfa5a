"""samples.h5 files that umbra never writes, for the fes tests (t305, t309): h5py only.

sattr writes a string attribute the way umbra does (NUL-terminated, fixed length); synthetic
writes independent draws from each window's biased density on a flat free energy, so the
overlap between windows is known from their centres and springs alone.
"""
import os
import numpy as np
import h5py


def sattr(obj, name, text):
    tid = h5py.h5t.C_S1.copy(); tid.set_size(len(text) + 1); tid.set_strpad(h5py.h5t.STR_NULLTERM)
    if name in obj.attrs:
        del obj.attrs[name]
    h5py.h5a.create(obj.id, name.encode(), tid, h5py.h5s.create(h5py.h5s.SCALAR)).write(np.array(text.encode() + b'\0', dtype='S%d' % (len(text) + 1)))


def synthetic(d, centres, kappa, n):
    """Directory d gets samples.h5: window k at centres[k] with spring kappa holds n[k] draws (n: a list, or one count for all)."""
    K = len(centres)
    n = list(n) if hasattr(n, '__len__') else [n] * K
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(5)
    with h5py.File(d + '/samples.h5', 'w') as f:
        sattr(f, 'umbra_format', '1.0'); sattr(f, 'umbra_kind', 'samples')
        z = np.concatenate([c + rng.standard_normal(m) / np.sqrt(kappa) for c, m in zip(centres, n)])
        f['samples/z'] = z.reshape(-1, 1)
        f['samples'].attrs['beta'] = np.array([1.0])
        f['samples'].attrs['cv_period'] = np.array([0.0])
        f['windows/center'] = np.array(centres, dtype=float).reshape(K, 1)
        f['windows/kappa'] = np.full((K, 1), kappa)
        f['windows/offset'] = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
