"""Which training options buy the best demo prior? Short runs of one domain, each measured on held-out tiles.

    python benchmarks/demo_sweep.py [--domain photography] [--kimg 4] [--variants base,lr2e-3,...]
        [--tiles 8] [--reference 256] [--samples 16] [--out sweep.json]

Every variant is the demo's training run (`pgd_nb.training.demo_config` less its DEMO_OPTIONS, which were chosen
here: TrainConfig's defaults) with one or two options changed (VARIANTS below), trained on the demo tiles in .cache
(a finished run of the same options is reused from .cache/sweep) and then measured as train.ipynb measures a
prior: the network's denoising PSNR at the noise levels of the domain's test observations against BM3D/NLM at the
same σ (worst and mean margin, dB), the std ratio of its ODE and SDE samples to `--reference` crops of the training
tiles with its 90 % interval (`pgd_nb.metrics.sample_statistics`, the crops drawn by scene: with 16 samples it is tens
of percent wide) and the part of it between images (how much the samples' brightness varies), how its output follows
a tile's brightness at σ = 2 (`pgd_nb.evaluate.dc_response`, slope over the ideal one), and its held-out validation
loss. The classical curve is computed once per
domain. Prints a table with the seconds each variant trained and the machine; --out keeps it as JSON
(pgd_nb/demo_sweep.json is the copy train.ipynb shows as the evidence behind the demo's options).
"""
import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from pgd_nb.checkpoints import load_prior
from pgd_nb.evaluate import (dc_response, denoising_curve, held_out_crops, observation_sigmas, ode_samples, prior_draws,
                             split_crops, test_observations)
from pgd_nb.calibration import model_to_scaled
from pgd_nb.metrics import sample_statistics
from pgd_nb.preprocess import demo_tiles
from pgd_nb.training import DEMO_OPTIONS, TrainConfig, centred_P_mean, demo_config, run_summary, train_or_reuse
from pgd_nb.utils import machine

ROOT = Path(__file__).resolve().parents[1]


def variants(sigmas) -> dict:
    "name → (options changed from the demo's, kimg factor): the factor gives cheaper crops about the same seconds."
    centre = centred_P_mean(sigmas)
    return {"base": ({}, 1), "lr2e-3": ({"lr": 2e-3}, 1), "lr5e-4": ({"lr": 5e-4}, 1),
            "P_mean_obs": ({"P_mean": centre}, 1), "P_mean_obs+lr2e-3": ({"P_mean": centre, "lr": 2e-3}, 1),
            "ema0.5": ({"ema_halflife_kimg": 0.5, "ema_rampup_ratio": None}, 1), "crop32": ({"crop": 32}, 3),
            "P_std1.6": ({"P_std": 1.6}, 1), "P_mean_obs+P_std0.8": ({"P_mean": centre, "P_std": 0.8}, 1),
            "P_mean_obs+small": ({"P_mean": centre, "preset": "small"}, 0.25),
            "P_mean_obs+lr2e-3+mix0.3": ({"P_mean": centre, "lr": 2e-3, "P_mix": 0.3}, 1),
            "P_mean_obs+lr2e-3+mix0.5": ({"P_mean": centre, "lr": 2e-3, "P_mix": 0.5}, 1),
            "centre": ({"centre": True}, 1),
            "P_mean_obs+lr2e-3+centre": ({"P_mean": centre, "lr": 2e-3, "centre": True}, 1),
            "P_mean_obs+lr2e-3+group4": ({"P_mean": centre, "lr": 2e-3, "group_size": 4}, 1),
            "P_mean_obs+lr2e-3+gdc": ({"P_mean": centre, "lr": 2e-3, "gaussian_dc": True}, 1)}


def measure(run: Path, domain: str, clean, reference, scenes, sigmas, classical, samples: int, seed: int = 0) -> dict:
    prior = load_prior(run / "best.pt", precision="fp32")
    curve = denoising_curve(prior, domain, clean, sigmas, seed, classical)
    C, crop = clean.shape[1], clean.shape[-1]
    ref_u = model_to_scaled(reference.double().numpy())
    draws = {"ode": ode_samples(prior, domain, samples, crop, seed=seed + 1),
             "sde": prior_draws(prior, domain, samples, crop, 40, seed + 2)}
    std = {}
    for k, x in draws.items():
        st = sample_statistics(model_to_scaled(x[:, :C].double().numpy()), ref_u, groups=scenes)
        std |= {f"{k}_std_ratio": st["std_ratio"], f"{k}_std_interval": st["intervals"]["std_ratio"],
                f"{k}_between_std_ratio": st["between_std_ratio"]}
    dc = dc_response(prior, domain, reference, sigmas=(2.0,))[0]
    s = run_summary(run)
    return {"min_margin": min(r["margin"] for r in curve), "mean_margin": float(np.mean([r["margin"] for r in curve])),
            "margins": [r["margin"] for r in curve], **std, "dc_slope_over_ideal": dc["slope"] / dc["ideal"],
            "best_val_loss": s["best_val_loss"], "kimg": s["kimg"], "train_seconds": s["train_seconds"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--domain", default="photography")
    ap.add_argument("--kimg", type=float, default=4.0)
    ap.add_argument("--variants", default="")
    ap.add_argument("--tiles", type=int, default=8)
    ap.add_argument("--reference", type=int, default=256)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    print(f"machine: {machine()}", flush=True)
    raw, tiles = demo_tiles(a.domain, ROOT / ".cache")
    demo = demo_config(tiles, ROOT / ".cache" / "sweep" / a.domain, (a.domain,), kimg=a.kimg)
    # the sweep's baseline: TrainConfig's options before its result became the defaults
    defaults = TrainConfig(data=demo.data, out=demo.out, lr=1e-3, gaussian_dc=False)
    base = dataclasses.replace(demo, **{k: getattr(defaults, k) for k in DEMO_OPTIONS})
    first, _ = train_or_reuse(base)
    prior = load_prior(first / "best.pt", precision="fp32")
    sigmas = observation_sigmas(test_observations(a.domain, raw, 3, 0, 0, "auto", prior.scaling(a.domain)))
    clean = held_out_crops(tiles, a.domain, a.tiles, 64)
    # the data's std: many crops of the split with the most scenes (train), cheap; their sampling error drawn by scene
    reference, scenes = split_crops(tiles, a.domain, "train", a.reference, 64, seed=1)
    t0 = time.perf_counter()
    classical = denoising_curve(prior, a.domain, clean, sigmas)
    print(f"{a.domain}: σ {sigmas[0]:.3g}–{sigmas[-1]:.3g} (model units); classical curve "
          f"({classical[0]['classical_method']}) in {time.perf_counter() - t0:.0f} s", flush=True)
    table = variants(sigmas)
    names = a.variants.split(",") if a.variants else list(table)
    rows = []
    print(f"{'variant':20s} {'changes':44s} {'kimg':>5s} {'train s':>7s} {'worst dB':>8s} {'mean dB':>7s} "
          f"{'ODE std':>7s} {'SDE std':>7s} {'val loss':>8s}", flush=True)
    for name in names:
        changes, factor = table[name]
        cfg = dataclasses.replace(base, kimg=a.kimg * factor, **changes)
        cfg = dataclasses.replace(cfg, tick_kimg=cfg.kimg / 10)
        run, reused = train_or_reuse(cfg)
        m = measure(run, a.domain, clean, reference, scenes, sigmas, classical, a.samples)
        rows.append({"variant": name, "changes": changes, "run": run.name, "reused": reused, **m})
        intervals = "ODE 90 % {:.2f}–{:.2f}, SDE {:.2f}–{:.2f}".format(*m["ode_std_interval"], *m["sde_std_interval"])
        intervals += (f"; between ODE {m['ode_between_std_ratio']:.2f}; "
                      f"DC slope/ideal at σ 2 {m['dc_slope_over_ideal']:.2f}")
        print(f"{name:20s} {json.dumps(changes):44s} {m['kimg']:5.1f} {m['train_seconds']:7.0f} "
              f"{m['min_margin']:+8.2f} {m['mean_margin']:+7.2f} {m['ode_std_ratio']:7.3f} {m['sde_std_ratio']:7.3f} "
              f"{m['best_val_loss']:8.4f}  " + intervals,
              flush=True)
    result = {"domain": a.domain, "machine": machine(), "kimg": a.kimg, "tiles": a.tiles, "reference": a.reference,
              "samples": a.samples,
              "sigmas": [float(s) for s in sigmas], "classical_method": classical[0]["classical_method"],
              "classical": [r["classical"] for r in classical], "rows": rows}
    if a.out: Path(a.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
