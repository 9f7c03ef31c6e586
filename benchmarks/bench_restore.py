"""Network evaluations and seconds per 256-px tile of each posterior sampler (one sample), on CPU or GPU.

    python benchmarks/bench_restore.py [--device cpu|cuda] [--preset tiny] [--checkpoint RUN]

Without a checkpoint the network has random weights: the cost of a tile does not depend on them.
The observation is a thinned-exposure-like frame with λ between 0 and ~200 e⁻, so the exact
likelihood's summation windows are realistic for low light.
"""
import argparse
import time

import numpy as np
import torch

from pgd_nb.calibration import DOMAINS
from pgd_nb.edm import EDMPrecond
from pgd_nb.guidance import ForwardModel, posterior_sample
from pgd_nb.networks import make_network


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--checkpoint", default="")
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--channels", default="1,3")
    ap.add_argument("--methods", default="daps,dps,gibbs")
    a = ap.parse_args()
    dev = torch.device(a.device)
    print(f"device {dev} ({torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{torch.get_num_threads()} CPU threads'}), preset {a.preset}, tile {a.tile}")
    for C in map(int, a.channels.split(",")):
        if a.checkpoint:
            from pgd_nb.checkpoints import load_prior
            prior = load_prior(a.checkpoint, dev); D = prior.denoiser
        else:
            torch.manual_seed(0)
            D = EDMPrecond(make_network(a.preset, channels=C, label_dim=len(DOMAINS)), 0.5).eval().requires_grad_(False).to(dev)
        rng = np.random.default_rng(0)
        lam = rng.gamma(1.0, 40.0, (C, a.tile, a.tile))
        y = torch.from_numpy((rng.poisson(lam) + 2.0 * rng.standard_normal(lam.shape)).astype(np.float32))
        fm = ForwardModel(scale=170.0, read_noise_e=2.0, offset=5.0, exposure_ratio=1.0, counts=(1, 2, 1) if C == 3 else None)
        label = torch.zeros(len(DOMAINS)); label[0 if C == 3 else 2] = 1
        for method, steps, opts in [("daps", 33, {}), ("dps", 30, {}), ("gibbs", 150, {})]:
            if method not in a.methods.split(","): continue
            if dev.type == "cuda": torch.cuda.synchronize()
            t0 = time.perf_counter()
            evals = posterior_sample(D, y, fm, method, num_samples=1, steps=steps, labels=label, generator=torch.Generator().manual_seed(0), device=dev, **opts).evals
            if dev.type == "cuda": torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            print(f"  {C} channel(s) {method:>5}: {evals:4d} network evaluations, {dt:7.1f} s per tile ({dt / evals * 1000:.0f} ms per evaluation incl. likelihood)", flush=True)


if __name__ == "__main__":
    main()
