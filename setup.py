"""Package set-up for pgd_nb: everything is read from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

for key in ("version", "description", "keywords", "author", "author_email", "license", "min_python", "lib_name", "user"):
    if not cfg.get(key):
        raise SystemExit(f"settings.ini: the [DEFAULT] section needs a value for '{key}'")

licenses = {"mit": ("MIT License", "OSI Approved :: MIT License")}
status_names = "1 - Planning,2 - Pre-Alpha,3 - Alpha,4 - Beta,5 - Production/Stable,6 - Mature,7 - Inactive".split(",")
py_versions = "3.10 3.11 3.12 3.13".split()

license_name, license_classifier = licenses[cfg["license"]]
min_python = cfg["min_python"]
requirements = cfg.get("requirements", "").split()
dev_requirements = cfg.get("dev_requirements", "").split()
console_scripts = [line.strip() for line in cfg.get("console_scripts", "").splitlines() if line.strip()]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    url=cfg["git_url"],
    author=cfg["author"],
    author_email=cfg["author_email"],
    license=license_name,
    keywords=cfg["keywords"],
    classifiers=[
        "Development Status :: " + status_names[int(cfg["status"]) - 1],
        "Intended Audience :: " + cfg["audience"],
        "License :: " + license_classifier,
        "Natural Language :: " + cfg["language"],
        "Topic :: Scientific/Engineering :: Image Processing",
    ] + [f"Programming Language :: Python :: {v}" for v in py_versions[py_versions.index(min_python):]],
    packages=setuptools.find_packages(include=[cfg["lib_name"], cfg["lib_name"] + ".*"]),
    include_package_data=True,
    package_data={cfg["lib_name"]: ["*.json"]},  # demo_sweep.json: the evidence behind the demo's training options
    python_requires=">=" + min_python,
    install_requires=requirements,
    extras_require={"dev": dev_requirements, "bm3d": ["bm3d"]},
    entry_points={"console_scripts": console_scripts, "nbdev": [f"{cfg['lib_name']}={cfg['lib_name']}._modidx:d"]},
    zip_safe=False,
)
