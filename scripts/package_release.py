#!/usr/bin/env python3
"""Packs built binaries the way a release publishes them, and lays out provider mirrors.

The release workflow and the local mirror installs (the provider-mirror lab, the
mirror tests) run this one script, so a zip a user downloads and a zip a test
installs have the same name, layout and permissions.

    package_release.py --version 0.1.0 --os linux --arch amd64 --bin-dir target/release --dist dist
        writes dist/terraform-provider-guardrail_0.1.0_linux_amd64.zip (the Terraform
        registry's layout: one executable named terraform-provider-guardrail_v0.1.0)
        and dist/tfaudit_0.1.0_linux_amd64.tar.gz (tfaudit_..._windows_amd64.zip on
        Windows); --only provider|tfaudit packs one of them.

    package_release.py hashes --dist dist
        prints, for every provider zip, its zh: hash (the SHA-256 SHA256SUMS lists)
        and its h1: hash (of the contents; what `terraform providers lock` records
        from a mirror), so a lock file can be checked against the release.

    package_release.py mirror --dist dist --fs-mirror DIR [--network-mirror DIR]
        copies every provider zip in dist into a filesystem mirror in Terraform's
        packed layout (DIR/registry.terraform.io/sre-control-plane/guardrail/*.zip),
        and writes the static files of a provider network mirror (index.json,
        VERSION.json with each archive's zh: hash) that any HTTPS server can serve.

Archives are reproducible: entries carry a fixed timestamp (SOURCE_DATE_EPOCH when
set) and fixed permissions, so the same binary always gives the same zip and hash.
Bad arguments exit 2 with a message; nothing is written for an input it refuses.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

PROVIDER = "terraform-provider-guardrail"
TFAUDIT = "tfaudit"
SOURCE_ADDRESS = ("registry.terraform.io", "sre-control-plane", "guardrail")
OPERATING_SYSTEMS = ("linux", "darwin", "windows")
ARCHITECTURES = ("amd64", "arm64")


class UsageError(Exception):
    """An argument or input the script refuses (exit 2)."""


def fixed_epoch() -> int:
    """SOURCE_DATE_EPOCH when set, never before 1980-01-01 (the zip format's floor)."""
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", "0")), 315532800)


def fixed_time() -> tuple[int, int, int, int, int, int]:
    return time.gmtime(fixed_epoch())[:6]


def executable_entry(name: str) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=fixed_time())
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.create_system = 3  # Unix, so the mode bits below are honoured on extraction
    entry.external_attr = (0o100755 & 0xFFFF) << 16
    return entry


def write_atomically(target: Path, payload: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=f".{target.name}.") as tmp:
        tmp.write(payload)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, target)


def zipped(name: str, binary: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(executable_entry(name), binary.read_bytes(), compresslevel=6)
    return buffer.getvalue()


def tarred(name: str, binary: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.size = binary.stat().st_size
        info.mode = 0o755
        info.mtime = fixed_epoch()
        with binary.open("rb") as stream:
            archive.addfile(info, stream)
    return buffer.getvalue()


def binary_path(bin_dir: Path, name: str, os_name: str) -> Path:
    path = bin_dir / (name + (".exe" if os_name == "windows" else ""))
    if not path.is_file():
        raise UsageError(f"{path}: no such binary (build it first, or pass the folder holding it as --bin-dir)")
    return path


def package(args: argparse.Namespace) -> list[Path]:
    if args.os not in OPERATING_SYSTEMS:
        raise UsageError(f"--os {args.os!r}: expected one of {', '.join(OPERATING_SYSTEMS)}")
    if args.arch not in ARCHITECTURES:
        raise UsageError(f"--arch {args.arch!r}: expected one of {', '.join(ARCHITECTURES)}")
    version = args.version.removeprefix("v")
    if not version or not version[0].isdigit():
        raise UsageError(f"--version {args.version!r}: expected a version such as 0.1.0")
    bin_dir, dist = Path(args.bin_dir), Path(args.dist)
    suffix = ".exe" if args.os == "windows" else ""
    wanted = [args.only] if args.only else [PROVIDER, TFAUDIT]
    if args.os == "windows" and PROVIDER in wanted and args.only != PROVIDER:
        wanted.remove(PROVIDER)  # tfaudit only: Terraform runs the provider on linux and darwin
    # Check every input before writing anything.
    binaries = {name: binary_path(bin_dir, name, args.os) for name in wanted}
    written = []
    for name, binary in binaries.items():
        stem = f"{name}_{version}_{args.os}_{args.arch}"
        if name == PROVIDER:
            target, payload = dist / f"{stem}.zip", zipped(f"{PROVIDER}_v{version}{suffix}", binary)
        elif args.os == "windows":
            target, payload = dist / f"{stem}.zip", zipped(f"{TFAUDIT}{suffix}", binary)
        else:
            target, payload = dist / f"{stem}.tar.gz", tarred(TFAUDIT, binary)
        write_atomically(target, payload)
        written.append(target)
    return written


def provider_zips(dist: Path) -> list[tuple[Path, str, str]]:
    """(zip, version, os_arch) for every provider release zip in dist."""
    found = []
    for path in sorted(dist.glob(f"{PROVIDER}_*.zip")):
        parts = path.stem[len(PROVIDER) + 1 :].split("_")
        if len(parts) != 3 or parts[1] not in OPERATING_SYSTEMS or parts[2] not in ARCHITECTURES:
            raise UsageError(f"{path}: not named {PROVIDER}_VERSION_OS_ARCH.zip")
        found.append((path, parts[0], f"{parts[1]}_{parts[2]}"))
    if not found:
        raise UsageError(f"{dist}: holds no {PROVIDER}_VERSION_OS_ARCH.zip (run this script without `mirror` first)")
    return found


def zip_hash(path: Path) -> str:
    return "zh:" + hashlib.sha256(path.read_bytes()).hexdigest()


def contents_hash(path: Path) -> str:
    """Terraform's h1: hash of a provider zip: SHA-256 over the sorted lines
    "SHA256  NAME" of its files (Go's dirhash Hash1), base64."""
    with zipfile.ZipFile(path) as archive:
        lines = "".join(
            f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}\n"
            for name in sorted(n for n in archive.namelist() if not n.endswith("/"))
        )
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def hashes(args: argparse.Namespace) -> list[str]:
    """The hashes a lock file may hold for each provider zip: `zh:` (the zip, as
    SHA256SUMS and a network mirror list it) and `h1:` (its contents, what
    `terraform providers lock -fs-mirror` records)."""
    return [f"{zip_hash(path)} {contents_hash(path)} {path.name}" for path, _, _ in provider_zips(Path(args.dist))]


def mirror(args: argparse.Namespace) -> list[Path]:
    if not args.fs_mirror and not args.network_mirror:
        raise UsageError("mirror: give --fs-mirror DIR, --network-mirror DIR or both")
    zips = provider_zips(Path(args.dist))
    written = []
    if args.fs_mirror:
        packed = Path(args.fs_mirror).joinpath(*SOURCE_ADDRESS)
        packed.mkdir(parents=True, exist_ok=True)
        for path, _, _ in zips:
            shutil.copyfile(path, packed / path.name)
            written.append(packed / path.name)
    if args.network_mirror:
        root = Path(args.network_mirror).joinpath(*SOURCE_ADDRESS)
        versions: dict[str, dict[str, dict]] = {}
        root.mkdir(parents=True, exist_ok=True)
        for path, version, platform in zips:
            shutil.copyfile(path, root / path.name)
            # The URL is relative to VERSION.json, so the tree can be served from any host.
            versions.setdefault(version, {})[platform] = {"url": path.name, "hashes": [zip_hash(path)]}
            written.append(root / path.name)
        write_atomically(root / "index.json", (json.dumps({"versions": {v: {} for v in versions}}, indent=2) + "\n").encode())
        written.append(root / "index.json")
        for version, archives in versions.items():
            write_atomically(root / f"{version}.json", (json.dumps({"archives": archives}, indent=2) + "\n").encode())
            written.append(root / f"{version}.json")
    return written


def main(argv: list[str]) -> int:
    if argv[:1] == ["hashes"]:
        parser = argparse.ArgumentParser(prog="package_release.py hashes", description="Print the zh: and h1: hashes of provider release zips.")
        parser.add_argument("--dist", required=True, help="folder holding the provider release zips")
        run, rest = hashes, argv[1:]
    elif argv[:1] == ["mirror"]:
        parser = argparse.ArgumentParser(prog="package_release.py mirror", description="Lay out provider mirrors from release zips.")
        parser.add_argument("--dist", required=True, help="folder holding the provider release zips")
        parser.add_argument("--fs-mirror", help="filesystem mirror to fill (packed layout)")
        parser.add_argument("--network-mirror", help="folder for the static files of a network mirror")
        run, rest = mirror, argv[1:]
    else:
        parser = argparse.ArgumentParser(prog="package_release.py", description="Pack built binaries as release archives.")
        parser.add_argument("--version", required=True)
        parser.add_argument("--os", required=True, help="linux, darwin or windows")
        parser.add_argument("--arch", required=True, help="amd64 or arm64")
        parser.add_argument("--bin-dir", required=True, help="folder holding the built binaries")
        parser.add_argument("--dist", required=True, help="folder the archives are written to")
        parser.add_argument("--only", choices=[PROVIDER, TFAUDIT], help="pack one binary only")
        run, rest = package, argv
    args = parser.parse_args(rest)
    try:
        for path in run(args):
            print(path)
    except UsageError as error:
        print(f"package_release.py: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
