"""The shape of the code: no module reaches into another's private names, and no helper is defined twice.

Both scans read the exported library (pgd_nb/*.py) and the code cells of every notebook (nbs/*.ipynb),
so a run notebook that imports `pgd_nb.evaluate._centre` fails here as well as a module that does.
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p for p in (ROOT / "pgd_nb").glob("*.py") if p.name not in ("_modidx.py", "__init__.py"))
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


def notebook_source(path: Path) -> str:
    "The code cells of a notebook as one Python source, magics and shell lines dropped."
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    lines = [line for c in cells for line in "".join(c["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def private_imports(source: str, own: str | None = None) -> list[str]:
    "`from pgd_nb.x import _y` (or `.x`), and `pgd_nb.x._y` attribute access, where x is not the module `own` itself."
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            is_ours = node.level > 0 or mod == "pgd_nb" or mod.startswith("pgd_nb.")
            name = mod.split(".")[-1]
            if is_ours and name != own:
                found += [f"from {'.' * node.level}{mod} import {a.name}" for a in node.names if a.name.startswith("_") and a.name != "__version__"]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            v = node.value
            if isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "pgd_nb" and v.attr != own:
                found.append(f"pgd_nb.{v.attr}.{node.attr}")
    return found


def test_scanner_sees_a_private_import():
    "The check must be able to fail: it sees the forms it forbids, and allows a module's own names."
    assert private_imports("from pgd_nb.io import _atomic_write, read_raw") == ["from pgd_nb.io import _atomic_write"]
    assert private_imports("from .evaluate import _centre") == ["from .evaluate import _centre"]
    assert private_imports("import pgd_nb.guidance\npgd_nb.guidance._daps(1)") == ["pgd_nb.guidance._daps"]
    assert private_imports("from pgd_nb.guidance import _daps", own="guidance") == []
    assert private_imports("from pgd_nb import __version__\nfrom numpy import _globals") == []


@pytest.mark.parametrize("path", MODULES + NOTEBOOKS, ids=lambda p: p.name)
def test_no_private_names_across_modules(path):
    if path.suffix == ".py":
        source, own = path.read_text(), path.stem
    else:  # a library notebook may use its own module's private names (nbdev's default_exp)
        source = notebook_source(path)
        exp = [line.split()[-1] for line in source.splitlines() if line.startswith("#| default_exp")]
        own = exp[0] if exp else None
    bad = private_imports(source, own)
    assert not bad, f"{path.relative_to(ROOT)} uses another module's private names: {bad}; make the helper public (pgd_nb.utils) or keep it local"


def top_level_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_no_helper_defined_in_two_modules():
    "One definition per helper (a CLI's `main` is each module's own)."
    seen: dict[str, list[str]] = {}
    for p in MODULES:
        for name in top_level_functions(p) - {"main"}:
            seen.setdefault(name, []).append(p.stem)
    twice = {k: v for k, v in seen.items() if len(v) > 1}
    assert not twice, f"helpers defined in more than one module: {twice}"


def _ruff(*args: str) -> list[dict]:
    exe = Path(sys.executable).parent / "ruff"
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "ruff"]
    r = subprocess.run([*cmd, "check", *args, "--output-format", "json", "--exit-zero"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def nbdev_all_lines(path: Path) -> set[int]:
    "Line numbers of the `__all__ = [...]` nbdev writes into a module (wrapped at its own width, not ours)."
    tree = ast.parse(path.read_text())
    return {n for node in tree.body if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
            for n in range(node.lineno, node.end_lineno + 1)}


def test_ruff_sees_long_lines_and_chains(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1; y = 2\nz = '" + "a" * 130 + "'\n")
    codes = sorted(v["code"] for v in _ruff("--config", str(ROOT / "pyproject.toml"), str(bad)))
    assert codes == ["E501", "E702"], codes


def test_library_lines_fit_120_without_semicolon_chains():
    "ruff over pgd_nb/ with the project's settings (pyproject.toml): lines ≤ 120, no `;` chains, pyflakes clean."
    found = [v for v in _ruff("pgd_nb")
             if not (v["code"] == "E501" and v["location"]["row"] in nbdev_all_lines(Path(v["filename"])))]
    assert not found, "\n".join(f"{Path(v['filename']).name}:{v['location']['row']}: {v['code']} {v['message']}" for v in found)


def long_functions(path: Path, limit: int = 80) -> list[str]:
    "Functions of a module longer than `limit` lines, as 'name (lines)'."
    tree = ast.parse(path.read_text())
    return [f"{n.name} ({n.end_lineno - n.lineno + 1})" for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > limit]


def test_no_function_over_80_lines():
    found = {p.name: long_functions(p) for p in sorted((ROOT / "pgd_nb").glob("*.py"))}
    assert not {k: v for k, v in found.items() if v}, "split these into named steps: " + str(found)
    assert long_functions(Path(__file__), limit=3)  # the check sees functions at all
