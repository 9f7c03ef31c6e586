"""Notebook hygiene that nbdev_test cannot see: parameters cells survive cleaning and papermill uses them."""
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RUN_NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if not p.name[:2].isdigit())
LIB_NOTEBOOKS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if p.name[:2].isdigit())


def _code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _parameters_cell_ok(cell):
    "The cell is tagged `parameters` and holds literal assignments only."
    assert "parameters" in cell.get("metadata", {}).get("tags", []), "first code cell is not tagged 'parameters'"
    for stmt in ast.parse("".join(cell["source"])).body:
        assert isinstance(stmt, (ast.Assign, ast.AnnAssign)), f"not an assignment: {ast.unparse(stmt)}"
        ast.literal_eval(stmt.value)


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=lambda p: p.name)
def test_run_notebooks_keep_their_parameters_cell(path):
    nb = json.loads(path.read_text())
    _parameters_cell_ok(_code_cells(nb)[0])
    assert "domain" in "".join(_code_cells(nb)[0]["source"])


@pytest.mark.parametrize("path", LIB_NOTEBOOKS, ids=lambda p: p.name)
def test_library_notebooks_declare_their_module(path):
    nb = json.loads(path.read_text())
    first = "".join(_code_cells(nb)[0]["source"])
    module = first.split("default_exp", 1)[1].split()[0]
    assert first.startswith("#| default_exp"), path
    assert path.stem.split("_", 1)[1] == module, f"{path.name} exports {module}"
    assert (ROOT / "pgd_nb" / f"{module}.py").exists()
    assert nb["cells"][1]["cell_type"] == "markdown" and nb["cells"][1]["source"][0].startswith("# ")


def _tagged_notebook(path):
    cells = [
        {"cell_type": "code", "execution_count": 7, "id": "a1", "metadata": {"tags": ["parameters"], "scrolled": True, "collapsed": False},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["old\n"]}], "source": ['domain = "photography"\n', "steps = 2"]},
        {"cell_type": "code", "execution_count": 8, "id": "a2", "metadata": {"ExecuteTime": {"end_time": "x"}},
         "outputs": [], "source": ['print(f"{domain}:{steps}")']},
    ]
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                       "widgets": {"state": {}}}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def test_nbdev_clean_keeps_the_parameters_tag_and_papermill_uses_it(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    shutil.copy(ROOT / "settings.ini", tmp_path / "settings.ini")
    nb_path = nbs / "run.ipynb"
    _tagged_notebook(nb_path)
    subprocess.run([str(BIN / "nbdev_clean"), "--fname", str(nb_path)], cwd=tmp_path, check=True, capture_output=True)
    cleaned = json.loads(nb_path.read_text())
    first = cleaned["cells"][0]
    assert first["metadata"] == {"tags": ["parameters"]}, first["metadata"]
    assert first["execution_count"] is None and cleaned["cells"][1]["metadata"] == {}
    _parameters_cell_ok(first)

    out_path = tmp_path / "out.ipynb"
    env = dict(os.environ, MPLBACKEND="Agg")
    subprocess.run([str(BIN / "papermill"), str(nb_path), str(out_path), "-p", "domain", "astronomy", "-p", "steps", "5",
                    "-k", "python3"], cwd=tmp_path, check=True, capture_output=True, env=env)
    executed = json.loads(out_path.read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []))
    assert printed.strip() == "astronomy:5"
