"""Is a trained network one prior? Its ODE, its reverse SDE and `daps` without data, side by side.

    python benchmarks/prior_consistency.py [--domains microscopy,astronomy] [--tiles 12] [--per_decade 6,12,24]

For each domain's newest demo run, draws 64-px images from the network by EDM's deterministic Heun
sampler (ODE, 32 and 128 steps), EDM's stochastic sampler (S_churn 40, 64 steps), the reverse SDE with
Gaussian-exact steps at several levels per decade of σ, and `daps` with every pixel masked (the prior
part of the sampler alone, with and without its bridge step). Prints mean, std and quantiles of the
pixel values in model units. For a network whose denoisers are the score of one density, all of them
agree once converged; stochastic samplers that converge to another limit than the ODE mean that the Bayes
check (`pgd_nb.evaluate.bayes_check`, `benchmarks/bayes_check.py`) must draw its truths with the process its
samplers use, the reverse SDE.
"""
import argparse
import time
from pathlib import Path

import numpy as np
import torch

from pgd_nb.calibration import Scaling
from pgd_nb.edm import edm_sampler
from pgd_nb.guidance import ForwardModel, posterior_sample, reverse_sde
from pgd_nb.checkpoints import load_prior

ROOT = Path(__file__).resolve().parents[1]


def summary(name: str, x: torch.Tensor, seconds: float) -> str:
    v = x.double().flatten().numpy()
    q = np.percentile(v, [1, 10, 50, 90, 99])
    return f"{name:28s} mean {v.mean():+.4f}  std {v.std():.4f}  q1/10/50/90/99 " + " ".join(f"{a:+.3f}" for a in q) + f"  ({seconds:.0f} s)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domains", default="microscopy,astronomy")
    ap.add_argument("--tiles", type=int, default=12)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--per_decade", default="6,12,24", help="levels per decade of σ for the reverse SDE")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    for domain in a.domains.split(","):
        runs = sorted(p for p in (ROOT / ".cache" / "runs").glob(f"*-{domain}-tiny-b16") if (p / "best.pt").is_file())
        if not runs: raise SystemExit(f"no trained demo run for {domain} in .cache/runs: run `make report DOMAIN={domain}` first")
        prior = load_prior(runs[-1])
        C, N, S = prior.channels, a.tiles, a.crop
        label = prior.labels(domain)[None].expand(N, -1)
        D = lambda x, s: prior.denoiser(x.to(torch.float32), s, label).to(torch.float64)
        latents = lambda g: torch.randn((N, C, S, S), generator=g)
        print(f"{domain}: {runs[-1].name}, {N} tiles of {S} px, model units", flush=True)
        draws = [(f"ODE Heun {n} steps", lambda g, n=n: edm_sampler(prior.denoiser, latents(g), label, num_steps=n)[0]) for n in (32, 128)]
        draws.append(("EDM stochastic (churn 40)", lambda g: edm_sampler(prior.denoiser, latents(g), label, num_steps=64, S_churn=40, generator=g)[0]))
        for pd in [int(v) for v in a.per_decade.split(",")]:
            draws.append((f"reverse SDE {pd}/decade", lambda g, pd=pd: reverse_sde(D, 80.0 * latents(g).double(), 80.0, g, per_decade=pd)[0]))
        masked = ForwardModel(Scaling(100.0), read_noise_e=1.0, mask=np.ones((C, S, S), bool))
        for bridge in (True, False):
            draws.append((f"daps, no data, bridge={bridge}", lambda g, b=bridge: posterior_sample(
                prior.denoiser, torch.zeros(C, S, S), masked, "daps", num_samples=N, labels=prior.labels(domain), generator=g,
                net_channels=C, bridge=b).samples))
        for name, draw in draws:
            t0 = time.perf_counter()
            with torch.no_grad(): x = draw(torch.Generator().manual_seed(a.seed))
            print(summary(name, x, time.perf_counter() - t0), flush=True)


if __name__ == "__main__":
    main()
