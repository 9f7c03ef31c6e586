"""The posterior mean's PSNR against the number of chains K and against network evaluations per pixel.

    python benchmarks/mean_curve.py [--ks 1,2,4,8,16] [--networks] [--domains photography,microscopy,astronomy]
                                    [--tiles 6] [--crop 64] [--levels 200] [--out benchmarks/results/mean_curve]

For each K: PSNR (model units, range 2) of the pinned sampler's shipped mean (Rao-Blackwellised over the conditional
means of its first levels, docs/physics.md §6), of the plain average of its K draws, and of the mean-only mode (K chains
stopped after 2 levels), with the network evaluations per pixel each costs. On the analytic priors of
nbs/13_guidance.ipynb (a per-pixel Gaussian mixture at λ ≈ 1–15 e⁻ and 50–500 e⁻, with its exact posterior mean by
quadrature; a Gaussian random field, with one denoiser call at the median noise level beside it) and, with
`--networks`, on truths drawn from each domain's newest trained demo prior (as `benchmarks/bayes_check.py` does), at the
domain's demo level and one 10× brighter, with one-step Tweedie beside it. Prints one table per case and writes
mean_curve.json to --out.
"""
import argparse
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import torch

from pgd_nb.calibration import Scaling
from pgd_nb.guidance import FieldDenoiser, ForwardModel, MixtureDenoiser, grid_posterior, posterior_sample
from pgd_nb.noise import sample_poisson_gaussian

ROOT = Path(__file__).resolve().parents[1]
LEVELS = [("dim (λ≈1–15 e⁻, σ=0.8)", 20.0, 0.8), ("bright (λ≈50–500 e⁻, σ=3)", 800.0, 3.0)]


def db(est, truth) -> float:
    return 10 * math.log10(4 / float(((est.double() - truth.double()) ** 2).mean()))


def curve(denoiser, y, fm, truth, ks, labels=None, net_channels=None, seed=1) -> list[dict]:
    "Per K: the shipped mean, the K-draw average and the mean-only mode, with their evaluations per pixel."
    rows = []
    kw = dict(labels=labels, net_channels=net_channels)
    for k in ks:
        t0 = time.perf_counter()
        r = posterior_sample(denoiser, y, fm, "pinned", num_samples=k, generator=torch.Generator().manual_seed(seed), **kw)
        seconds = time.perf_counter() - t0
        mo = posterior_sample(denoiser, y, fm, "pinned", num_samples=k, generator=torch.Generator().manual_seed(seed),
                              mean_only=True, mean_levels=2, **kw)
        s = r.samples.double()
        rows.append({"K": k, "evals_per_pixel": k * r.evals, "shipped_mean": db(r.mean, truth),
                     "average_of_draws": db(s.mean(-4), truth), "mean_only_evals_per_pixel": k * mo.evals,
                     "mean_only": db(mo.mean, truth), "seconds": round(seconds, 2)})
    return rows


def show(title, rows, reference=None):
    print(f"\n{title}" + ("" if reference is None else f"   ({reference[0]}: {reference[1]:.2f} dB)"))
    print(f"{'K':>3} {'evals/px':>8} {'shipped mean':>13} {'avg of draws':>13} {'mean-only evals/px':>19} {'mean only':>10} {'s':>7}")
    for r in rows:
        print(f"{r['K']:>3} {r['evals_per_pixel']:>8} {r['shipped_mean']:>13.2f} {r['average_of_draws']:>13.2f} "
              f"{r['mean_only_evals_per_pixel']:>19} {r['mean_only']:>10.2f} {r['seconds']:>7.1f}", flush=True)


def analytic(ks) -> list[dict]:
    out = []
    mix = MixtureDenoiser([0.6, 0.4], [-0.8, -0.1], [0.05, 0.25])
    f = torch.fft.fftfreq(16, dtype=torch.float64)
    P = (f[:, None] ** 2 + f[None, :] ** 2 + 0.03 ** 2) ** -1.5
    field = FieldDenoiser(P / P.mean() * 0.3 ** 2, 0.1)
    for j, (name, scale, sigma) in enumerate(LEVELS):
        g = torch.Generator().manual_seed(200 + j)
        truth, fm = mix.sample(32 * 64, g), ForwardModel(Scaling(scale), read_noise_e=sigma)
        y = sample_poisson_gaussian(fm.expected_electrons(truth), sigma, generator=g)
        exact = db(grid_posterior(mix, y, fm)[2], truth)
        rows = curve(mix, y.reshape(1, 1, 32, 64), fm, truth.reshape(1, 1, 32, 64), ks)
        show(f"Gaussian mixture, {name}", rows, ("exact posterior mean", exact))
        out.append({"case": f"mixture {name}", "exact_posterior_mean": exact, "rows": rows})
    for name, scale, sigma in LEVELS:
        g = torch.Generator().manual_seed(0)
        truth, fm = field.sample(24, g), ForwardModel(Scaling(scale), read_noise_e=sigma)
        y = sample_poisson_gaussian(fm.expected_electrons(truth), sigma, generator=g)
        m = 2 * fm.to_scaled(y) - 1
        s0 = float(((fm.expected_electrons(m).clamp_min(0) + sigma ** 2).median()).sqrt() / fm.slope)
        tweedie = db(field(m, s0), truth)
        rows = curve(field, y, fm, truth, ks)
        show(f"Gaussian random field, {name}", rows, ("one denoiser call at the median noise", tweedie))
        out.append({"case": f"field {name}", "tweedie": tweedie, "rows": rows})
    return out


def networks(a, ks) -> list[dict]:
    from pgd_nb.baselines import make_baselines
    from pgd_nb.checkpoints import load_prior
    from pgd_nb.evaluate import prior_draws, test_observations
    out = []
    for domain in a.domains.split(","):
        runs = sorted(p for p in (ROOT / ".cache" / "runs").glob(f"*-{domain}-tiny-b16") if (p / "best.pt").is_file())
        if not runs: raise SystemExit(f"no trained demo run for {domain} in .cache/runs: run `make report DOMAIN={domain}`")
        prior = load_prior(runs[-1], precision="fp32")
        fm0 = replace(test_observations(domain, ROOT / ".cache" / "demo" / domain, 1, 64, 0,
                                        scaling=prior.scaling(domain))[0]["fm"], mask=None)
        truths = prior_draws(prior, domain, a.tiles, a.crop, a.levels, 0)
        C = truths.shape[1] if domain == "photography" else 1
        truth = truths[:, :C].double()
        tweedie = make_baselines(prior, domain, include=("edm_tweedie",))[0]["edm_tweedie"]
        for ratio in (fm0.exposure_ratio, fm0.exposure_ratio / 10):
            fm = replace(fm0, exposure_ratio=ratio)
            y = fm.simulate(truth, torch.Generator().manual_seed(0))
            one = torch.stack([torch.as_tensor(2 * fm.to_scaled(tweedie(y[i].numpy(), fm)) - 1) for i in range(len(y))])
            rows = curve(prior.denoiser, y, fm, truth, ks, prior.labels(domain), prior.channels)
            title = f"{domain} ({runs[-1].name}), exposure ratio {ratio:g}, {a.tiles} tiles of {a.crop} px drawn from it"
            show(title, rows, ("edm_tweedie", db(one, truth)))
            out.append({"case": title, "tweedie": db(one, truth), "rows": rows})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ks", default="1,2,4,8,16")
    ap.add_argument("--networks", action="store_true", help="also on the trained demo priors (make report first)")
    ap.add_argument("--domains", default="photography,microscopy,astronomy")
    ap.add_argument("--tiles", type=int, default=6)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--levels", type=int, default=200)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mean_curve"))
    a = ap.parse_args()
    ks = [int(k) for k in a.ks.split(",")]
    cases = analytic(ks) + (networks(a, ks) if a.networks else [])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    (out / "mean_curve.json").write_text(json.dumps({"args": vars(a), "cases": cases}, indent=1, ensure_ascii=False))
    print(f"\nwrote {out / 'mean_curve.json'}")


if __name__ == "__main__":
    main()
