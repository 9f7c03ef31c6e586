"""Check (c) of the sampler calibration: each domain's trained demo prior taken as the *true* prior.

    python benchmarks/calibrate_trained.py [--domains astronomy,microscopy,photography] [--methods daps] [--ratios R] [--append]
                                           [--precision fp32|bf16|auto]
                                           [--tiles 4] [--samples 15] [--crop 64] [--out reports/calibration]

For each domain: truths are drawn from the network itself (EDM Heun sampler, 64 steps), observations
simulated with the exact Poisson-Gaussian noise of the domain's sensor at two exposure ratios, and K
samples drawn by each sampler. With the network as the prior, a correct sampler puts the truth's
rank among its K samples uniformly, the truth between their min and max with probability
(K − 1)/(K + 1), and the samples' reduced χ² against y equal to the truth's. This separates sampler
error from prior error. Prints one table, writes calibration.json and ranks.png to --out.

Uses the newest demo-preset run of each domain in .cache/runs (`make report` trains one).
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from pgd_nb.calibration import DOMAINS, get_sensor, total_read_noise_e
from pgd_nb.edm import edm_sampler
from pgd_nb.guidance import ForwardModel, posterior_sample, reverse_sde
from pgd_nb.noise import sample_poisson_gaussian
from pgd_nb.checkpoints import load_prior
from pgd_nb.cli import parse_value

ROOT = Path(__file__).resolve().parents[1]
RATIOS = {"photography": (300.0, 30.0), "microscopy": (100.0, 10.0), "astronomy": (30.0, 3.0)}  # dim, brighter


def chi2(x_m, y, fm) -> float:
    lam = fm.expected_electrons(x_m)
    return float(((y - lam) ** 2 / (lam + fm.read_noise_e ** 2)).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domains", default="astronomy,microscopy,photography")
    ap.add_argument("--methods", default="daps", help="gibbs costs about 800 evaluations per sample; dps needs memory for backpropagation")
    ap.add_argument("--tiles", type=int, default=4)
    ap.add_argument("--samples", type=int, default=15)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--truth_steps", type=int, default=64, help="ode: Heun steps; sde: levels per decade of σ")
    ap.add_argument("--truth", default="ode", choices=["ode", "sde"],
                    help="how truths are drawn from the network: EDM's Heun ODE, or the reverse SDE (Gaussian-exact steps) from σ = 80")
    ap.add_argument("--options", default="", help="sampler options, e.g. bridge=false,proposals=2")
    ap.add_argument("--run_glob", default="*-{domain}-tiny-b16", help="run folders to take the newest of (default: the demo preset's)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "calibrate_trained"))
    ap.add_argument("--ratios", default="", help="exposure ratios to run, comma-separated (default: the domain's two)")
    ap.add_argument("--append", action="store_true", help="add the rows to an existing calibration.json instead of replacing it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "auto"], help="the denoiser's inference precision")
    a = ap.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    saved = out / "calibration.json"
    old = json.loads(saved.read_text()) if a.append and saved.is_file() else {"rows": [], "ranks": {}}
    rows, ranks = old["rows"], old["ranks"]
    K = a.samples
    for domain in a.domains.split(","):
        runs = sorted(p for p in (ROOT / ".cache" / "runs").glob(a.run_glob.format(domain=domain)) if (p / "best.pt").is_file())
        if not runs: raise SystemExit(f"no trained demo run for {domain} in .cache/runs: run `make report DOMAIN={domain}` first")
        prior = load_prior(runs[-1], precision=a.precision)
        dom = DOMAINS[domain]; sensor = get_sensor(dom.sensor)
        label = prior.labels(domain)[None].expand(a.tiles, -1)
        g = torch.Generator().manual_seed(a.seed)
        latents = torch.randn((a.tiles, prior.channels, a.crop, a.crop), generator=g)
        bf16, prior.denoiser.bf16 = prior.denoiser.bf16, False  # truths in float32 whatever the samplers use
        with torch.no_grad():
            if a.truth == "ode": truth, _ = edm_sampler(prior.denoiser, latents, label, num_steps=a.truth_steps)
            else:
                D = lambda x, s: prior.denoiser(x.to(torch.float32), s, label).to(torch.float64)
                truth, _ = reverse_sde(D, 80.0 * latents.double(), 80.0, g, per_decade=a.truth_steps)
        prior.denoiser.bf16 = bf16
        truth = truth[:, : dom.channels].double()  # the network's own draws, unclamped: below m = -1 the likelihood is flat, and the sampler may go there too
        for ratio in RATIOS[domain]:
            if a.ratios and ratio not in [float(v) for v in a.ratios.split(",")]: continue
            fm = ForwardModel(scale=sensor.scale, offset=sensor.offset, read_noise_e=total_read_noise_e(sensor), exposure_ratio=ratio)
            y = sample_poisson_gaussian(fm.expected_electrons(truth), fm.read_noise_e, generator=g)
            opts = parse_value(a.options, "dict")
            for method in a.methods.split(","):
                t0 = time.perf_counter()
                r = posterior_sample(prior.denoiser, y, fm, method, num_samples=K, labels=prior.labels(domain),
                                     generator=torch.Generator().manual_seed(a.seed + 1), net_channels=prior.channels,
                                     **{k: (int(v) if k in ("proposals", "steps", "newton", "hold") else v) for k, v in opts.items()})
                s = r.samples.double()  # (tiles, K, C, H, W)
                rank = (s < truth[:, None]).sum(1)
                lam_t = fm.expected_electrons(truth)
                row = {"domain": domain, "ratio": ratio, "truth": a.truth, "options": a.options, "median λ (e⁻)": float(lam_t.median()), "sampler": method, "evals": r.evals,
                       "min–max cover": float(((rank > 0) & (rank < K)).double().mean()), "nominal": (K - 1) / (K + 1),
                       "sample χ²": chi2(s, y[:, None], fm), "truth χ²": chi2(truth[:, None], y[:, None], fm),
                       "mean χ²": chi2(s.mean(1, keepdim=True), y[:, None], fm),
                       "psnr of mean": 20 * math.log10(2 / float((s.mean(1) - truth).pow(2).mean().sqrt())),
                       "s": round(time.perf_counter() - t0, 1)}
                rows.append(row); ranks[f"{domain} r{ratio:g} {method} {a.truth} {a.options}".strip()] = torch.bincount(rank.flatten(), minlength=K + 1).tolist()
                print(" | ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
    args = {k: v for k, v in vars(a).items() if k != "out"}
    saved.write_text(json.dumps({"rows": rows, "ranks": ranks, "args": old.get("args", []) + [args] if a.append else [args]}, indent=1, ensure_ascii=False))
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(ranks); cols = min(n, 4); fig, axs = plt.subplots(-(-n // cols), cols, figsize=(3 * cols, 2.2 * -(-n // cols)), squeeze=False, sharey=True)
    for ax, (name, h) in zip(axs.flat, ranks.items()):
        h = np.asarray(h, float); ax.bar(range(len(h)), h / h.mean()); ax.axhline(1, color="k", lw=0.8); ax.set_title(name, fontsize=8)
    for ax in list(axs.flat)[n:]: ax.axis("off")
    fig.supxlabel(f"rank of the truth among {K} samples"); fig.supylabel("frequency / uniform"); fig.tight_layout(); fig.savefig(out / "ranks.png", dpi=80)
    print(f"wrote {out / 'calibration.json'} and {out / 'ranks.png'}")


if __name__ == "__main__":
    main()
