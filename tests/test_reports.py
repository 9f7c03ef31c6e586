"""The report runner end to end on the smoke preset: pages, index, provenance, injected parameters, and a failing step."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    runs = tmp_path_factory.mktemp("runs")  # a test never reuses, or leaves, a run in the repository's .cache/runs
    r = subprocess.run([BIN / "pgd_report", "--domain", "astronomy", "--preset", "smoke", "--reports", reports,
                        "--runs", runs], capture_output=True, text=True)
    return reports, r


def test_smoke_report_writes_three_pages_and_the_index(smoke):
    reports, r = smoke
    assert r.returncode == 0, r.stderr[-3000:]
    run = next((reports / "astronomy").iterdir())
    for step in ("train", "restore", "evaluate"):
        page = (run / f"{step}.html").read_text()
        assert "data:image/png;base64" in page, step  # figures embedded: the page is self-contained
        assert "import numpy as np" not in page, step  # code cells hidden
        nb = json.loads((run / f"{step}.ipynb").read_text())
        outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
        assert not [o for o in outs if o["output_type"] == "error"], step
        # what a reader sees: no warnings (stderr), no Python reprs of dicts, prose that names this domain
        assert not [o["text"] for o in outs if o.get("name") == "stderr"], step
        texts = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outs]
        assert not [t for t in texts if re.search(r"\{'\w+':|Path\(", t)], step
        assert "<strong>astronomy</strong>" in page and "-p domain photography" not in page, step
    params = json.loads((run / "params.json").read_text())
    assert params["status"] == "done" and params["versions"]["torch"] and len(params["git_commit"] or "") == 40
    assert all(params["steps"][s]["status"] == "done" for s in ("train", "restore", "evaluate"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"restore", "evaluate"} <= set(metrics) and "final_loss" in metrics
    assert (run / "evaluate" / "split" / "split_summary.csv").is_file()
    index = (reports / "index.html").read_text()
    assert f'astronomy/{run.name}/evaluate.html' in index and ">done<" in index


def test_papermill_parameters_reach_the_notebooks(smoke):
    reports, _ = smoke
    run = next((reports / "astronomy").iterdir())
    nb = json.loads((run / "evaluate.ipynb").read_text())
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    src = "".join(injected[0]["source"])
    assert 'domain = "astronomy"' in src and "crop = 64" in src and 'protocol = "split"' in src
    cfg = json.loads((run / "evaluate" / "split" / "metrics.json").read_text())["config"]
    assert cfg["crop"] == 64 and cfg["domain"] == "astronomy"  # the values were used, not just written


def test_a_failing_step_leaves_its_page_and_fails(tmp_path, smoke):
    from pgd_nb.errors import PGDError
    from pgd_nb.reports import run_report
    with pytest.raises(PGDError, match="step restore failed"):
        run_report("astronomy", "smoke", reports=str(tmp_path), overrides={"restore": {"method": "nonsense"}}, steps=("restore",))
    run = next((tmp_path / "astronomy").iterdir())
    assert "unknown method" in (run / "restore.html").read_text()
    params = json.loads((run / "params.json").read_text())
    assert params["status"] == "failed" and params["steps"]["restore"]["status"] == "failed"
    assert "failed" in (tmp_path / "index.html").read_text()


def test_cli_rejects_bad_input_without_a_traceback(tmp_path):
    r = subprocess.run([BIN / "pgd_report", "--domain", "radiology", "--reports", tmp_path], capture_output=True, text=True)
    assert r.returncode == 2 and "radiology" in r.stderr and "Traceback" not in r.stderr  # a usage error, as in every CLI
    r = subprocess.run([BIN / "pgd_report", "--domain", "all", "--preset", "demo", "--dry_run"], capture_output=True, text=True)
    assert r.returncode == 0 and set(json.loads(r.stdout)) == {"photography", "microscopy", "astronomy"}
    r = subprocess.run([BIN / "pgd_evaluate", "--domain", "astronomy", "--out", tmp_path, "--protocol", "split"], capture_output=True, text=True)
    assert r.returncode == 2 and "checkpoint" in r.stderr and "Traceback" not in r.stderr


def test_train_page_measures_the_prior(smoke):
    reports, r = smoke
    run = next((reports / "astronomy").iterdir())
    q = json.loads((run / "metrics.json").read_text())["prior_quality"]
    assert len(q["denoising"]) == 9 and all(np.isfinite(x["network"]) and np.isfinite(x["classical"]) for x in q["denoising"])
    sig = [x["sigma"] for x in q["denoising"]]
    assert sig == sorted(sig) and sig[0] > 0 and q["sigma_source"].startswith("the 2nd–98th percentile"), q["sigma_source"]
    assert {"ode", "sde"} == set(q["samples"]) and all(0 < s["std_ratio"] < 10 for s in q["samples"].values())
    assert isinstance(q["flags"], list) and (run / "prior_quality.png").is_file()
    assert "Denoising PSNR on held-out tiles" in (run / "train.html").read_text()
    assert json.loads((run / "metrics.json").read_text())["bf16"] in (True, False)  # the precision it trained in
    assert re.search(r"<td>precision</td><td>(bf16 autocast|fp32)</td>", (run / "train.html").read_text())


def test_cross_report_fills_the_matrix(tmp_path, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    r = subprocess.run([BIN / "pgd_report", "--domain", "cross", "--preset", "smoke", "--reports", tmp_path,
                        "--runs", runs], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    run = next((tmp_path / "cross").iterdir())
    nb = json.loads((run / "cross.ipynb").read_text())
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outs if o["output_type"] == "error" or o.get("name") == "stderr"]
    texts = ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outs]
    assert not [t for t in texts if re.search(r"\{'\w+':|Path\(", t)]  # no reprs, no path of the machine
    m = json.loads((run / "metrics.json").read_text())
    kinds = [x["kind"] for x in m["cross"]]
    # per test domain: its own network, two foreign ones, the joint one and the joint one under a wrong label
    assert len(m["cross"]) == 15 and {k: kinds.count(k) for k in set(kinds)} == {"own": 3, "mismatch": 6, "joint": 3, "wrong label": 3}
    assert all(np.isfinite(x["psnr"]) and x["frames"] == 1 for x in m["cross"])
    joint = next(n for n in m["networks"] if n["network"] == "all")
    alone = sum(n["images"] for n in m["networks"] if n["network"] != "all")
    assert abs(joint["images"] - alone) <= 3 * 8  # equal compute, to a batch per network
    assert not any(n["reused"] for n in m["networks"]) and len(list(runs.iterdir())) == 4
    assert "dB" in m["verdict"] and (run / "cross.png").is_file()
    # one frame a domain gives no interval, so no gain or cost is called
    assert all(g["lo"] is None and g["verdict"] == "tie" for g in m["gain_intervals"].values())
    assert "no interval" in m["verdict"] and "made no difference" in m["verdict"]
    assert "cross/" + run.name + "/cross.html" in (tmp_path / "index.html").read_text()
