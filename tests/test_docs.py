"""Every reference in the project's prose resolves inside the repository: `docs/<page>.md §N` to a page with that
section, `nbs/<name>.ipynb` and `benchmarks/<name>.py` to files that exist; nothing points outside the repository
(team notes such as PHYSICS.md) or at a benchmark's last output (`benchmarks/results/`, which is not committed)."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC_REF = re.compile(r"\bdocs/([\w./-]+?\.md)(?: §(\d+[a-z]?))?")
FILE_REF = re.compile(r"\b((?:nbs|benchmarks|tests|pgd_nb)/[\w./-]+?\.(?:ipynb|py))\b")
FORBIDDEN = re.compile(r"\b(?:PHYSICS|DESIGN|STYLE)\.md\b|\.\./shared\b")
LINK = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")  # a relative Markdown link (not http:, not an anchor alone)
STALE = re.compile(r"benchmarks/results/")  # a benchmark's last output, cited as if it were documentation


def _texts(root: Path):
    """(place, text) of every prose-bearing file: notebook cells, the library, README, docs, benchmarks."""
    for nb in sorted((root / "nbs").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            yield f"{nb.relative_to(root)} cell {i}", "".join(cell["source"])
    for pattern in ("pgd_nb/*.py", "benchmarks/*.py", "docs/*.md", "README.md", "Makefile", "settings.ini"):
        for f in sorted(root.glob(pattern)):
            yield str(f.relative_to(root)), f.read_text()


def _sections(page: Path) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^## (\d+[a-z]?)\. ", page.read_text(), flags=re.M)}


def broken_references(root: Path) -> list[str]:
    """Every reference that does not resolve, as 'place: reference (why)'."""
    bad = []
    for place, text in _texts(root):
        for m in FORBIDDEN.finditer(text):
            bad.append(f"{place}: {m.group(0)} (points outside the repository)")
        if not place.startswith("benchmarks/"):  # the benchmarks write there; prose must not cite it
            bad += [f"{place}: {m.group(0)} (uncommitted benchmark output)" for m in STALE.finditer(text)]
        for m in DOC_REF.finditer(text):
            page, section = root / "docs" / m.group(1), m.group(2)
            if not page.is_file():
                bad.append(f"{place}: {m.group(0)} (no such page)")
            elif section and section not in _sections(page):
                bad.append(f"{place}: {m.group(0)} (no section {section} in {m.group(1)})")
        if place.endswith(".md"):
            base = (root / place).parent
            bad += [f"{place}: ]({m.group(1)}) (broken link)" for m in LINK.finditer(text) if not (base / m.group(1)).exists()]
        for m in FILE_REF.finditer(text):
            if not (root / m.group(1)).exists():
                bad.append(f"{place}: {m.group(1)} (no such file)")
    return bad


def test_every_reference_resolves():
    assert broken_references(ROOT) == []


def test_physics_page_has_the_sections_the_code_cites():
    assert {"1", "2", "3", "4", "5", "6", "6b", "6c", "7"} <= _sections(ROOT / "docs" / "physics.md")


def test_the_check_finds_broken_references(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "physics.md").write_text("# P\n\n## 1. Units\n\n[ok](physics.md) [gone](usage.md)\n")
    (tmp_path / "nbs").mkdir()
    cells = ["see docs/physics.md §1", "see docs/physics.md §9", "docs/missing.md", "PHYSICS.md §2",
             "nbs/99_nothing.ipynb", "benchmarks/results/x.csv"]
    nb = {"cells": [{"cell_type": "markdown", "source": c} for c in cells]}
    (tmp_path / "nbs" / "00_x.ipynb").write_text(json.dumps(nb))
    bad = broken_references(tmp_path)
    assert len(bad) == 6 and not any("cell 0:" in b for b in bad) and sum("broken link" in b for b in bad) == 1, bad


def test_readme_notebook_setting_is_absent_or_exists():
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "settings.ini")
    readme_nb = cfg["DEFAULT"].get("readme_nb")
    assert readme_nb is None or (ROOT / "nbs" / readme_nb).is_file(), f"settings.ini names readme_nb = {readme_nb}"


def _doc_commands(root: Path) -> list[tuple[str, list[str]]]:
    "(place, argv) of every `.venv/bin/pgd_*` command line in README.md and docs/*.md, comments stripped."
    import shlex
    out = []
    for f in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if ".venv/bin/pgd_" not in line or line.lstrip().startswith("#"): continue
            words = shlex.split(line.split("   #")[0].split("  # ")[0], comments=True)
            i = next(k for k, w in enumerate(words) if w.startswith(".venv/bin/pgd_"))
            out.append((f"{f.relative_to(root)}:{n}", [words[i].split("/")[-1], *words[i + 1:]]))
    return out


def test_every_command_in_the_docs_parses(monkeypatch):
    """Each command line shown in README.md and docs/ is accepted by its command's parser and its configuration
    checks (e.g. an --options key the chosen sampler does not have) — without running the work."""
    import importlib
    import pgd_nb.cli as cli
    modules = {"pgd_calibrate": "calibrate", "pgd_demo_data": "demo_data", "pgd_preprocess": "preprocess",
               "pgd_train": "training", "pgd_restore": "restore", "pgd_evaluate": "evaluate", "pgd_report": "reports"}
    commands = _doc_commands(ROOT)
    assert len(commands) >= 15 and {c[1][0] for c in commands} >= {"pgd_restore", "pgd_train", "pgd_preprocess"}
    failures = []
    for place, argv in commands:
        module = importlib.import_module(f"pgd_nb.{modules[argv[0]]}")
        seen = {}
        def parser(prog, description, *configs, **kw):
            seen["configs"] = configs
            return cli.option_parser(prog, description, *configs, **kw)
        def run(prog, ap, work, argv=None, **kw):
            args = ap.parse_args(argv)
            cli.configs_from_args(args, *seen["configs"])  # each config's own checks
            return 0
        monkeypatch.setattr(module, "option_parser", parser)
        monkeypatch.setattr(module, "run_cli", run)
        try: module.main(argv[1:])
        except SystemExit as e: failures.append(f"{place}: {' '.join(argv)} (exit {e.code})")
        except Exception as e: failures.append(f"{place}: {' '.join(argv)} ({e})")
    assert failures == []
