"""Restoration end to end through `pgd_restore` on the small demo data of each domain, with a tiny model trained for a few steps."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pgd_nb.edm import edm_sigmas

BIN = Path(sys.executable).parent
FAST = ["--method", "daps", "--samples", "2", "--steps", "3", "--quiet"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    "Small demo data of every domain and one tiny run per domain (a few training steps: the plumbing, not the quality)."
    from pgd_nb.demo_data import make_demo_dataset
    from pgd_nb.layouts import find_layout
    from pgd_nb.preprocess import preprocess
    from pgd_nb.training import TrainConfig, train
    root = tmp_path_factory.mktemp("restore")
    runs = {}
    for d in ("photography", "microscopy", "astronomy"):
        make_demo_dataset(d, root / "raw" / d, seed=0, small=True, progress=False)
        preprocess(find_layout(root / "raw" / d, d), root / "tiles", tile=64, progress=False)
        cfg = TrainConfig(data=str(root / "tiles"), out=str(root / "runs"), domains=(d,), kimg=0.032, batch=8, crop=32, tick_kimg=0.016, val_tiles=4)
        runs[d] = train(cfg, progress=False)
    return root, runs


def _test_pair(root: Path, domain: str):
    from pgd_nb.layouts import find_layout
    pairs = find_layout(root / "raw" / domain, domain).pairs
    return pairs[0]


def _run(*args):
    return subprocess.run([BIN / "pgd_restore", *map(str, args)], capture_output=True, text=True)


def test_photography_short_exposure_with_its_long_reference(demo, tmp_path):
    root, runs = demo
    pair = _test_pair(root, "photography")
    r = _run("--checkpoint", runs["photography"], "--input", pair.noisy, "--reference", pair.clean, "--out", tmp_path, *FAST,
             "--keep_samples", "true")
    assert r.returncode == 0, r.stderr
    meta = json.loads(next(tmp_path.glob("*_restore.json")).read_text())
    assert meta["settings"]["exposure_ratio"] == pytest.approx(pair.exposure_ratio, rel=1e-4)
    levels = edm_sigmas(3)[:-1].tolist()  # --steps 3: one evaluation per level, one more (the Jacobian probe) where σ ≤ 1
    assert meta["counts"] in ([1, 2, 1], [2, 5, 2]) and meta["evals_per_sample"] == sum(1 + (s <= 1) for s in levels)
    mean_e = np.load(tmp_path / meta["files"]["mean_e"]); ref = np.load(tmp_path / meta["files"]["reference_e"])
    assert mean_e.shape == ref.shape and mean_e.shape[0] == 3 and np.isfinite(mean_e).all()
    assert np.load(tmp_path / meta["files"]["samples_u"]).shape == (2, *mean_e.shape)
    assert (tmp_path / meta["files"]["preview"]).stat().st_size > 1000
    learnt = json.loads((runs["photography"] / "data.json").read_text())["scalings"]["photography"]
    assert (meta["scale"], meta["offset"]) == (learnt["scale"], learnt["offset"]) != (80000, 0.0)  # the checkpoint's scale
    assert meta["scale_source"].startswith("checkpoint") and meta["camera_offset"] is None


def test_microscopy_stack_gives_one_restoration_per_frame_and_a_tiff(demo, tmp_path):
    root, runs = demo
    pair = _test_pair(root, "microscopy")
    r = _run("--checkpoint", runs["microscopy"], "--input", pair.noisy, "--reference", pair.clean, "--out", tmp_path, *FAST)
    assert r.returncode == 0, r.stderr
    metas = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*_restore.json"))]
    assert len(metas) >= 1 and all(m["settings"]["exposure_ratio_source"].startswith("estimated") for m in metas)
    dark = metas[0]["camera_offset"]  # the files hold no black level: estimated from the input's dark background
    assert dark and abs(dark["offset_adu"] - 100) < max(5 * dark["error_adu"], 0.2), dark
    import tifffile
    assert tifffile.imread(tmp_path / metas[0]["files"]["tiff"]).ndim == 2


def test_astronomy_thinned_fits_keeps_the_header_and_resumes(demo, tmp_path):
    from astropy.io import fits
    root, runs = demo
    pair = _test_pair(root, "astronomy")
    args = ["--checkpoint", runs["astronomy"], "--input", pair.clean, "--thin", "0.05", "--out", tmp_path, *FAST]
    assert _run(*args).returncode == 0
    meta = json.loads(next(tmp_path.glob("*_restore.json")).read_text())
    assert meta["settings"]["exposure_ratio"] == pytest.approx(20.0)
    with fits.open(tmp_path / meta["files"]["fits"]) as h, fits.open(pair.clean) as src:
        assert h[0].header["EXPTIME"] == src[0].header["EXPTIME"] and h["SCI"].data.shape == src["SCI"].data.shape
        assert h["ERR"].data.shape == h["SCI"].data.shape
    before = (tmp_path / meta["files"]["mean_e"]).stat().st_mtime_ns
    assert _run(*args).returncode == 0  # same settings: nothing recomputed
    assert (tmp_path / meta["files"]["mean_e"]).stat().st_mtime_ns == before


def test_errors_name_the_problem_and_the_fix(demo, tmp_path):
    root, runs = demo
    pair = _test_pair(root, "astronomy")
    r = _run("--checkpoint", runs["microscopy"], "--input", pair.clean, "--thin", "0.05", "--out", tmp_path, *FAST)
    assert r.returncode == 1 and "does not know astronomy" in r.stderr and "Fix:" in r.stderr and "Traceback" not in r.stderr  # a checkpoint that does not fit: failed work
    r = _run("--checkpoint", runs["astronomy"], "--input", pair.clean, "--out", tmp_path, *FAST)
    assert r.returncode == 2 and "exposure ratio" in r.stderr and "give --exposure_ratio" in r.stderr  # options that do not fit: usage
    r = _run("--checkpoint", tmp_path / "nowhere", "--input", pair.clean, "--thin", "0.05", "--out", tmp_path, *FAST)
    assert r.returncode == 1 and "does not exist" in r.stderr
    bad = tmp_path / "empty.fits"; bad.write_bytes(b"")
    r = _run("--checkpoint", runs["astronomy"], "--input", bad, "--thin", "0.05", "--out", tmp_path, *FAST)
    assert r.returncode == 1 and "empty.fits" in r.stderr
    assert not list(tmp_path.glob("*_mean_e.npy"))  # nothing half-written


def test_dry_run_prints_the_resolved_settings(demo, tmp_path):
    "--dry_run resolves every setting from the files (sensor, gain, read noise, ratio, tile, batches, evaluations) and"
    " estimates the time; nothing is written."
    root, runs = demo
    pair = _test_pair(root, "astronomy")
    r = _run("--checkpoint", runs["astronomy"], "--input", pair.clean, "--thin", "0.05", "--out", tmp_path / "o",
             "--samples", "2", "--steps", "4", "--dry_run")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    res = got["resolved"]
    assert got["method"] == "pinned" and res["sensor"] == "hst_acs_wfc" and res["exposure_ratio"] == 20.0
    assert res["exposure_ratio_source"] == "thinning fraction 0.05" and res["gain_e_per_adu"] == 1.0
    assert res["read_noise_e"] > 0 and res["tiles"] == res["grid"][0] * res["grid"][1] and res["batches"] >= 1
    assert res["evaluations_per_pixel"] == 2 * 4 * 2 and res["estimated_seconds"] > 0 and "levels" in res["estimate_how"]
    assert not (tmp_path / "o").exists()


def test_forward_model_against_hand_computed_electrons():
    from pgd_nb.calibration import Scaling
    from pgd_nb.guidance import ForwardModel
    from pgd_nb.restore import load_observation  # noqa: F401  (the module imports cleanly)
    fm = ForwardModel(Scaling(80000.0), read_noise_e=3.0, exposure_ratio=250.0, counts=(1, 2, 1), background_e=1.5)
    x = torch.tensor([-0.95, -0.9, 0.0]).reshape(3, 1, 1)  # u = 0.025, 0.05, 0.5
    lam = fm.expected_electrons(x).flatten().tolist()
    assert lam == pytest.approx([0.025 * 80000 / 250 + 1.5, 0.05 * 80000 / 250 + 1.5, 0.5 * 80000 / 250 + 1.5], rel=1e-6)
