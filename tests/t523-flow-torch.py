#!/usr/bin/env python3
"""Peer of tests/t523-flow-torch.c: the conditional normalizing flow of docs/flow.md written
independently in PyTorch (float64, one thread), from umbra's exported parameters, batch and
standardisation. Computes the conditioning features, u = T(y; z) and the log-Jacobian, the mean
NLL of the batch with its gradient in every parameter and in y (autograd), the inverse
y = T^-1(e; z), log q(x | z) and the pushed-forward states, and writes them to the output file
for the C side to compare. The spline is coded here from the formulas (not from a library).
Exit 0: written; 1: the peer's own round trip failed; 77: torch or h5py missing."""
import math
import sys

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:  # CI installs python3-torch; say why we skip
    print(f"skip: {e}")
    sys.exit(77)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

# docs/flow.md: every bin at least 1e-3 of the interval wide and high, interior slopes at least
# 1e-3; a raw value of 0 is the unit slope (the zero last layer makes the flow the identity)
MIN_BIN, MIN_SLOPE = 1e-3, 1e-3
SLOPE_SHIFT = math.log(math.expm1(1 - MIN_SLOPE))  # softplus(SLOPE_SHIFT) = 1 - MIN_SLOPE


def softplus(a):
    return torch.clamp(a, min=0) + torch.log1p(torch.exp(-torch.abs(a)))


class Spline:
    """Rational-quadratic spline on [-B, B] with K bins, identity outside; raw (N, 3K - 1):
    K width logits, K height logits, K - 1 interior slope parameters"""

    def __init__(self, K, B):
        self.K, self.B = K, B

    def knots(self, raw):
        K, B, N = self.K, self.B, raw.shape[0]

        def edges(logits):
            size = 2 * B * (MIN_BIN + (1 - K * MIN_BIN) * torch.softmax(logits, dim=1))
            inner = -B + torch.cumsum(size, dim=1)[:, :-1]  # the last edge is B itself
            return torch.cat([torch.full((N, 1), -B), inner, torch.full((N, 1), B)], dim=1)

        ones = torch.ones(N, 1)
        slopes = MIN_SLOPE + softplus(raw[:, 2 * K:] + SLOPE_SHIFT)
        return edges(raw[:, :K]), edges(raw[:, K:2 * K]), torch.cat([ones, slopes, ones], dim=1)

    def _bin(self, E, v):
        """bin k (N x 1) with E_k <= v < E_{k+1}"""
        return (v.unsqueeze(1) >= E[:, 1:self.K]).sum(dim=1, keepdim=True)

    @staticmethod
    def _terms(X, Y, D, k):
        """left knot, slopes, width, height and s = h / w of bin k"""
        g = lambda T, o: torch.gather(T, 1, k + o).squeeze(1)
        Xk, Yk, Dk, Dk1 = g(X, 0), g(Y, 0), g(D, 0), g(D, 1)
        w, h = g(X, 1) - Xk, g(Y, 1) - Yk
        return Xk, Yk, Dk, Dk1, w, h, h / w

    @staticmethod
    def _slope(s, Dk, Dk1, xi):
        t = xi * (1 - xi)
        den = s + (Dk + Dk1 - 2 * s) * t
        return s * s * (Dk1 * xi * xi + 2 * s * t + Dk * (1 - xi) ** 2) / (den * den), den

    def forward(self, v, raw):
        """out = s(v), log s'(v)"""
        inside = (v >= -self.B) & (v < self.B)
        vin = torch.where(inside, v, torch.zeros_like(v))  # keeps the unused branch finite
        X, Y, D = self.knots(raw)
        k = self._bin(X, vin)
        Xk, Yk, Dk, Dk1, w, h, s = self._terms(X, Y, D, k)
        xi = (vin - Xk) / w
        t = xi * (1 - xi)
        slope, den = self._slope(s, Dk, Dk1, xi)
        out = Yk + h * (s * xi * xi + Dk * t) / den
        return torch.where(inside, out, v), torch.where(inside, torch.log(slope), torch.zeros_like(v))

    def inverse(self, u, raw):
        """v = s^-1(u), log s'(v). With dy = u - Y_k and e = D_k + D_{k+1} - 2 s, the forward
        formula dy (s + e xi (1 - xi)) = h (s xi^2 + D_k xi (1 - xi)) is the quadratic
        a xi^2 + b xi + c = 0, a = h (s - D_k) + dy e, b = h D_k - dy e, c = -s dy, whose root in
        [0, 1] is xi = 2c / (-b - sqrt(b^2 - 4ac)) (the form without cancellation)"""
        inside = (u >= -self.B) & (u < self.B)
        uin = torch.where(inside, u, torch.zeros_like(u))
        X, Y, D = self.knots(raw)
        k = self._bin(Y, uin)
        Xk, Yk, Dk, Dk1, w, h, s = self._terms(X, Y, D, k)
        dy, e = uin - Yk, Dk + Dk1 - 2 * s
        a, b, c = h * (s - Dk) + dy * e, h * Dk - dy * e, -s * dy
        xi = 2 * c / (-b - torch.sqrt(torch.clamp(b * b - 4 * a * c, min=0)))
        slope, _ = self._slope(s, Dk, Dk1, xi)
        return torch.where(inside, Xk + xi * w, u), torch.where(inside, torch.log(slope), torch.zeros_like(u))


class Flow:
    def __init__(self, a, theta):
        self.ng, self.nc, self.K = int(a["ng"]), int(a["couplings"]), int(a["bins"])
        self.spline = Spline(self.K, float(a["bound"][0]))
        self.act, self.slope = a["activation"].decode(), float(a["leaky_slope"][0])
        hidden = [int(w) for w in a["layers"].decode().split(",")]
        dz, nr = int(a["dz"]), 3 * self.K - 1
        self.B, self.A, self.layers, off = [], [], [], 0
        for l in range(self.nc):  # one coordinate: always transformed; else alternating parity
            Bl = [0] if self.ng == 1 else [j for j in range(self.ng) if (j + l) % 2 == 0]
            self.B.append(Bl)
            self.A.append([j for j in range(self.ng) if j not in Bl])
            widths = [len(self.A[l]) + dz] + hidden + [len(Bl) * nr]
            lin = []
            for i in range(len(widths) - 1):  # nn.Linear layout: W (out x in) row-major, then b
                nw = widths[i] * widths[i + 1]
                W = torch.tensor(theta[off:off + nw].reshape(widths[i + 1], widths[i]), requires_grad=True)
                b = torch.tensor(theta[off + nw:off + nw + widths[i + 1]], requires_grad=True)
                off += nw + widths[i + 1]
                lin.append((W, b))
            self.layers.append(lin)
        assert off == len(theta), (off, len(theta))

    def params(self):
        return [p for lin in self.layers for Wb in lin for p in Wb]

    def conditioner(self, l, x):
        lin = self.layers[l]
        for i, (W, b) in enumerate(lin):
            x = x @ W.T + b
            if i + 1 < len(lin):
                x = {"tanh": torch.tanh, "silu": torch.nn.functional.silu,
                     "leakyrelu": lambda h: torch.nn.functional.leaky_relu(h, self.slope)}[self.act](x)
        return x.reshape(x.shape[0], len(self.B[l]), 3 * self.K - 1)

    def forward(self, y, zf):
        v, ld = y, torch.zeros(y.shape[0])
        for l in range(self.nc):
            raw = self.conditioner(l, torch.cat([v[:, self.A[l]], zf], dim=1))
            cols = list(v.unbind(1))
            for jb, j in enumerate(self.B[l]):
                cols[j], ldj = self.spline.forward(v[:, j], raw[:, jb])
                ld = ld + ldj
            v = torch.stack(cols, dim=1)
        return v, ld

    def inverse(self, u, zf):
        v, ld = u.clone(), torch.zeros(u.shape[0])
        for l in reversed(range(self.nc)):  # v_A is the same before and after layer l
            raw = self.conditioner(l, torch.cat([v[:, self.A[l]], zf], dim=1))
            for jb, j in enumerate(self.B[l]):
                v[:, j], ldj = self.spline.inverse(v[:, j], raw[:, jb])
                ld = ld + ldj
        return v, ld


def features(a, z):
    """docs/flow.md: periodic: cos, sin of each harmonic 1..H; else the standardised value and
    sine/cosine pairs at pi 2^j over the trained range mapped to [-1, 1]"""
    d, fourier, harmonics = int(a["d"]), int(a["fourier"]), int(a["harmonics"])
    cols = []
    for c in range(d):
        zc = z[:, c]
        if a["period"][c] > 0:
            t = 2 * math.pi * zc / a["period"][c]
            for j in range(1, harmonics + 1):
                cols += [torch.cos(j * t), torch.sin(j * t)]
        else:
            lo, hi = a["z_lo"][c], a["z_hi"][c]
            uu = 2 * (zc - lo) / (hi - lo) - 1 if hi > lo else torch.zeros_like(zc)
            cols.append((zc - a["z_mean"][c]) / a["z_sd"][c])
            for j in range(fourier):
                cols += [torch.sin(math.pi * 2 ** j * uu), torch.cos(math.pi * 2 ** j * uu)]
    return torch.stack(cols, dim=1)


def run_case(name, g, out):
    a = g.attrs
    v = {k: np.array(g[k]) for k in g.keys()}
    n, ng, d, B = int(a["n"]), int(a["ng"]), int(a["d"]), int(a["batch"])
    gidx = [int(i) for i in a["generated_index"]]
    cvidx = [int(i) for i in a["cv_index"]]
    if list(a["minimums"]) != [MIN_BIN, MIN_BIN, MIN_SLOPE]:
        print(f"# {name}: umbra's minimum bin width, height, slope {list(a['minimums'])} are not docs/flow.md's 1e-3")
    flow = Flow(a, v["theta"])
    ymean, ysd = torch.from_numpy(v["y_mean"]), torch.from_numpy(v["y_sd"])
    z = torch.from_numpy(v["z"].reshape(B, d))
    zf = features(a, z)
    c = 0.5 * ng * math.log(2 * math.pi)
    res = {"zf": zf}

    y = torch.from_numpy(v["y"].reshape(B, ng)).requires_grad_(True)
    u, ld = flow.forward(y, zf)
    nll = (0.5 * (u * u).sum(1) + c - ld).mean()
    grads = torch.autograd.grad(nll, flow.params() + [y])
    res.update(u=u, logdet=ld, nll=nll, grad=torch.cat([gr.reshape(-1) for gr in grads[:-1]]), dnll_dy=grads[-1])

    with torch.no_grad():
        e = torch.from_numpy(v["e"].reshape(B, ng))
        yi, ldi = flow.inverse(e, zf)
        back, ldb = flow.forward(yi, zf)  # the peer's own round trip
        err = max((back - e).abs().max().item(), (ldb - ldi).abs().max().item())
        if err > 1e-11:
            print(f"# {name}: the peer's forward(inverse(e)) misses e by {err:.3g}")
            return False
        res.update(y_inverse=yi, logdet_inverse=ldi)
        x = torch.from_numpy(v["x"].reshape(B, n))
        ux, ldx = flow.forward((x[:, gidx] - ymean) / ysd, zf)
        res["logq"] = -0.5 * (ux * ux).sum(1) - c + ldx - torch.log(ysd).sum()
        xp = torch.zeros(B, n)
        xp[:, gidx] = ymean + ysd * yi
        xp[:, cvidx] = z
        res.update(x_push=xp, logq_push=-0.5 * (e * e).sum(1) - c + ldi - torch.log(ysd).sum())
    grp = out.create_group(name)
    for k, t in res.items():
        grp.create_dataset(k, data=np.atleast_1d(t.detach().numpy()).reshape(-1))
    print(f"# {name}: {ng} generated, {d} CV, {flow.nc} couplings, {flow.act}: mean NLL {nll.item():.10g}")
    return True


ok = True
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "w") as out:
    out.attrs["umbra_format"] = np.bytes_("1.1")
    out.attrs["umbra_kind"] = np.bytes_("test")
    print(f"# torch {torch.__version__}, float64")
    for name in sorted(f.keys()):
        if name != "provenance":
            ok = run_case(name, f[name], out) and ok
sys.exit(0 if ok else 1)
