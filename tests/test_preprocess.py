"""Preprocessing end to end through the CLIs: resumable after a kill, idempotent, parallel = serial, bad files skipped."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent


def _run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)


def _digest(folder: Path) -> dict:
    "Content hash of every file under folder, except the per-unit fragments."
    return {p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".parts" not in p.parts}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    for d in ("photography", "microscopy", "astronomy"):
        r = _run(BIN / "pgd_demo_data", "--domain", d, "--out", root / d, "--small", "--quiet")
        assert r.returncode == 0, r.stderr
    return root


def test_demo_files_are_read_by_the_format_libraries(demo):
    import mrcfile, rawpy, tifffile
    from astropy.io import fits
    m = json.loads((demo / "photography" / "demo_manifest.json").read_text())
    with rawpy.imread(str(demo / "photography" / m["files"][0]["file"])) as raw:
        assert raw.raw_image_visible.shape == (256, 256) and raw.raw_pattern.shape == (2, 2)
    micro = sorted((demo / "microscopy").glob("*/Cell_*/RawSIMData_gt.*"))
    assert {p.suffix for p in micro} == {".mrc", ".tif"}
    for p in micro:
        data = mrcfile.read(p) if p.suffix == ".mrc" else tifffile.imread(p)
        assert data.shape == (3, 128, 128) and data.dtype == np.uint16
    fitsfile = next((demo / "astronomy").rglob("*_detection_sci.fits"))
    with fits.open(fitsfile) as h:
        assert [x.name for x in h] == ["PRIMARY", "SCI", "ERR", "DQ"] and h[0].header["CCDGAIN"] == 2.0


@pytest.mark.parametrize("domain", ["photography", "microscopy", "astronomy"])
def test_serial_parallel_and_rerun_give_identical_output(demo, tmp_path, domain):
    outs = []
    for name, workers in (("serial", 1), ("parallel", 2)):
        r = _run(BIN / "pgd_preprocess", "--domain", domain, "--data_root", demo / domain, "--out", tmp_path / name,
                 "--tile", 64, "--workers", workers, "--quiet")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "0 failed" in r.stdout
        outs.append(_digest(tmp_path / name))
    assert outs[0] == outs[1] and len(outs[0]) > 10
    r = _run(BIN / "pgd_preprocess", "--domain", domain, "--data_root", demo / domain, "--out", tmp_path / "serial", "--tile", 64, "--quiet")
    assert "already done" in r.stdout and " 0 processed" in r.stdout
    assert _digest(tmp_path / "serial") == outs[0]


def test_killed_run_resumes_to_the_same_result(demo, tmp_path):
    from pgd_nb.layouts import find_layout
    from pgd_nb.preprocess import preprocess
    src = demo / "microscopy"
    preprocess(find_layout(src, "microscopy"), tmp_path / "whole", tile=64, progress=False)
    # a partial run (deterministic), then a run killed with SIGKILL at an arbitrary moment, then resume
    partial = preprocess(find_layout(src, "microscopy"), tmp_path / "resumed", tile=64, progress=False, stop_after=7)
    assert not partial["complete"] and not (tmp_path / "resumed" / "microscopy" / "metadata.json").exists()
    proc = subprocess.Popen([str(BIN / "pgd_preprocess"), "--domain", "microscopy", "--data_root", str(src), "--out", str(tmp_path / "resumed"),
                             "--tile", "64", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parts = tmp_path / "resumed" / "microscopy" / ".parts"
    deadline = time.time() + 600  # generous: a slow machine only waits longer, the kill still lands after part 12
    while len(list(parts.glob("*.json"))) < 12 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL); proc.wait()
    n_parts = len(list(parts.glob("*.json")))
    assert proc.returncode == -signal.SIGKILL and 12 <= n_parts < 40, (proc.returncode, n_parts)  # killed mid-run
    assert not (tmp_path / "resumed" / "microscopy" / "metadata.json").exists()
    s = preprocess(find_layout(src, "microscopy"), tmp_path / "resumed", tile=64, progress=False)
    assert s["complete"] and s["skipped"] >= 7 and not s["failed"]
    assert _digest(tmp_path / "resumed") == _digest(tmp_path / "whole")  # stale temporary files removed too


def test_bad_files_are_reported_and_skipped(demo, tmp_path):
    import shutil
    src = tmp_path / "astro"
    shutil.copytree(demo / "astronomy", src)
    victims = sorted(src.rglob("*_detection_sci.fits"))[:2]
    victims[0].write_bytes(victims[0].read_bytes()[:4000])  # truncated
    victims[1].write_bytes(b"")  # empty
    r = _run(BIN / "pgd_preprocess", "--domain", "astronomy", "--data_root", src, "--out", tmp_path / "out", "--tile", 64, "--quiet")
    assert r.returncode == 1
    assert r.stdout.count("skipped:") == 2 * 4  # each bad file: its clean unit and three thinned units
    assert all(str(v) in r.stdout for v in victims)
    meta = json.loads((tmp_path / "out" / "astronomy" / "metadata.json").read_text())
    assert meta["n_tiles"] > 0 and len(meta["failed_sources"]) == 8
    assert not any(t["source"] in {v.relative_to(src).as_posix() for v in victims} for t in meta["tiles"])


def test_splits_do_not_leak(demo, tmp_path):
    from pgd_nb.layouts import find_layout
    from pgd_nb.preprocess import preprocess
    for d in ("photography", "microscopy", "astronomy"):
        preprocess(find_layout(demo / d, d), tmp_path, tile=64, progress=False)
        tiles = json.loads((tmp_path / d / "metadata.json").read_text())["tiles"]
        scene_splits = {}
        for t in tiles:
            scene_splits.setdefault(t["scene"], set()).add(t["split"])
            assert t["tile"].startswith(t["split"] + "/" + t["role"] + "/")
        assert all(len(s) == 1 for s in scene_splits.values())
        assert {s for v in scene_splits.values() for s in v} == {"train", "val", "test"}


def test_cli_errors_are_clear(tmp_path):
    r = _run(BIN / "pgd_preprocess", "--domain", "astronomy", "--data_root", tmp_path / "nothing", "--out", tmp_path / "o")
    assert r.returncode == 1 and "no such folder" in r.stderr and "Traceback" not in r.stderr  # a missing input: failed work


def test_ready_tiles_write_nothing_into_the_cache(tmp_path):
    "demo_tiles on a folder that already holds tiles returns it and writes nothing (no lock) into the cache folder."
    from pgd_nb.preprocess import demo_tiles
    tiles = tmp_path / "tiles"
    (tiles / "astronomy").mkdir(parents=True)
    (tiles / "astronomy" / "metadata.json").write_text("{}")
    assert demo_tiles("astronomy", tmp_path / "cache", str(tiles)) == (tiles, tiles)
    assert not (tmp_path / "cache").exists()
