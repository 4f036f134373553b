"""Fail when pyproject.toml asks for a package (runtime or dev) that the venv does not satisfy.

`make install` installs exactly requirements.lock; a dependency added to pyproject.toml without
re-running `make lock` would otherwise go unnoticed until an import fails.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement


def main() -> int:
    missing = []
    for line in metadata.requires("faqbot") or []:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate({"extra": "dev"}):
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(f"{requirement} (not installed)")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{requirement} (installed {installed})")
    if missing:
        print("requirements.lock is out of date with pyproject.toml: run `make lock`", file=sys.stderr)
        for item in missing:
            print(f"  needs {item}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
