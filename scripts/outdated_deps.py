#!/usr/bin/env python3
"""Lists the workspace's direct dependencies that are behind their newest release.

Reads `[workspace.dependencies]` of Cargo.toml, asks the crates.io sparse index for
every crate's newest stable release, and prints the ones whose requirement does not
admit it. A crate held back on purpose is listed in docs/dependencies.md with the
reason; `--check` exits 1 when an outdated crate is not listed there.

    python3 scripts/outdated_deps.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX = "https://index.crates.io"


def index_path(name: str) -> str:
    name = name.lower()
    if len(name) <= 2:
        return f"{len(name)}/{name}"
    if len(name) == 3:
        return f"3/{name[0]}/{name}"
    return f"{name[:2]}/{name[2:4]}/{name}"


def release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.+]", version)[:3])


def newest(name: str) -> str:
    with urllib.request.urlopen(f"{INDEX}/{index_path(name)}", timeout=30) as response:
        entries = [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]
    stable = [e["vers"] for e in entries if not e["yanked"] and "-" not in e["vers"].split("+")[0]]
    return max(stable, key=release_key)


def admits(requirement: str, version: str) -> bool:
    """Whether a caret requirement (`1`, `0.14`, `0.2.2`) admits `version`."""
    wanted = [int(p) for p in requirement.lstrip("^").split(".")]
    have = list(release_key(version))
    # The first non-zero component (or the last one given) must match exactly.
    significant = next((i for i, part in enumerate(wanted) if part != 0), len(wanted) - 1)
    return have[: significant + 1] == wanted[: significant + 1]


def main(argv: list[str]) -> int:
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    held_back = (ROOT / "docs/dependencies.md").read_text()
    unexplained = []
    for name, spec in manifest["workspace"]["dependencies"].items():
        if isinstance(spec, dict) and "path" in spec:
            continue
        requirement = spec if isinstance(spec, str) else spec["version"]
        latest = newest(name)
        if admits(requirement, latest):
            continue
        explained = f"`{name}`" in held_back
        print(f"{name:20} {requirement:10} newest {latest}{'' if explained else '  (not explained in docs/dependencies.md)'}")
        if not explained:
            unexplained.append(name)
    return 1 if unexplained and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
