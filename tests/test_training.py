"""Training through the CLI: SIGKILL at any moment never corrupts a checkpoint and resuming reproduces the losses; DDP on 2 gloo processes."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

BIN = Path(sys.executable).parent
ARGS = ["--kimg", "0.48", "--batch", "8", "--crop", "32", "--tick_kimg", "0.04", "--checkpoint_every_ticks", "1", "--val_tiles", "8", "--quiet"]


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    from pgd_nb.demo_data import make_demo_dataset
    from pgd_nb.layouts import find_layout
    from pgd_nb.preprocess import preprocess
    root = tmp_path_factory.mktemp("train")
    for d in ("microscopy", "astronomy"):
        make_demo_dataset(d, root / "raw" / d, seed=0, small=True, progress=False)
        preprocess(find_layout(root / "raw" / d, d), root / "tiles", tile=64, progress=False)
    return root / "tiles"


def _stats(run: Path):
    return [json.loads(l) for l in (run / "stats.jsonl").read_text().splitlines()]


def test_cli_help_and_dry_run(tiles, tmp_path):
    r = subprocess.run([BIN / "pgd_train", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--resume" in r.stdout and "--preset" in r.stdout and "tiny" in r.stdout
    r = subprocess.run([BIN / "pgd_train", "--data", tiles, "--out", tmp_path, "--domains", "microscopy,astronomy", "--dry_run"], capture_output=True, text=True)
    cfg = json.loads(r.stdout)
    assert cfg["domains"] == ["microscopy", "astronomy"] and cfg["preset"] == "tiny" and not any(tmp_path.iterdir())
    r = subprocess.run([BIN / "pgd_train", "--data", tiles, "--out", tmp_path, "--domains", "radiology"], capture_output=True, text=True)
    assert r.returncode == 2 and "radiology" in r.stderr and "Traceback" not in r.stderr


def test_sigkill_and_resume_reproduce_the_uninterrupted_run(tiles, tmp_path):
    cmd = [BIN / "pgd_train", "--data", tiles, "--domains", "microscopy,astronomy", *ARGS]
    subprocess.run(cmd + ["--out", tmp_path / "whole"], check=True, capture_output=True)
    whole = next((tmp_path / "whole").iterdir())
    killed_at = []
    for attempt in range(3):  # kill at different moments, each time resuming the same run
        proc = subprocess.Popen(cmd + ["--out", tmp_path / "cut", "--resume", "auto"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3.0 + 1.3 * attempt)
        proc.send_signal(signal.SIGKILL); proc.wait()
        runs = list((tmp_path / "cut").iterdir()) if (tmp_path / "cut").exists() else []
        if not runs: continue  # killed before it made its folder
        run = runs[0]
        for cp in run.glob("*.pt"):  # every checkpoint on disk is complete
            state = torch.load(cp, map_location="cpu", weights_only=True)
            assert "ema" in state
        killed_at.append(len(list(run.glob("checkpoint-*.pt"))))
    bare = [BIN / "pgd_train", "--data", tiles, "--out", tmp_path / "cut", "--resume", "auto", "--quiet"]  # the run's own options are used
    r = subprocess.run(bare, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "cut").iterdir())) == 1  # resumed in place, no new run folder
    assert sorted(p.name for p in run.glob("checkpoint-*.pt")) == ["checkpoint-0000050.pt", "checkpoint-0000055.pt", "checkpoint-0000060.pt"]  # newest 3 kept
    run = next((tmp_path / "cut").iterdir())
    a, b = _stats(whole), _stats(run)
    assert [s["step"] for s in a] == [s["step"] for s in b]
    assert [s["loss"] for s in a] == [s["loss"] for s in b]
    assert [s["val_loss"] for s in a] == [s["val_loss"] for s in b]
    print(f"checkpoints present at the kills: {killed_at}; {len(a)} ticks identical")


def test_ddp_with_two_gloo_processes(tiles, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
                        str(BIN / "pgd_train"), "--data", str(tiles), "--out", str(tmp_path), "--domains", "microscopy,astronomy",
                        "--kimg", "0.16", "--batch", "8", "--crop", "32", "--tick_kimg", "0.04", "--val_tiles", "8", "--device", "cpu", "--quiet"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    runs = list(tmp_path.iterdir())
    assert len(runs) == 1  # only rank 0 made a run folder
    stats = _stats(runs[0])
    assert [s["step"] for s in stats] == [5, 10, 15, 20] and all(s["val_loss"] is not None for s in stats)
    log = (runs[0] / "log.txt").read_text()
    assert "2 process(es)" in log and log.count("start:") == 1  # logging on rank 0 only
    assert torch.load(runs[0] / "checkpoint-0000020.pt", weights_only=True)["step"] == 20
