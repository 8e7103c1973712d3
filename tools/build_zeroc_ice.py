"""Build the zeroc-ice 3.6.5 wheel that omero-py needs, once, and cache it.

PyPI ships zeroc-ice 3.6.5 only as a source package, and that source stops compiling on
CPython 3.11 for two reasons: CPython 3.11 removed the ``eval.h`` header (and ``compile.h`` is no
longer needed) and the ``PyThreadState.frame`` member, whose public replacement is
``PyEval_GetFrame()``. This script downloads the source package, makes exactly those two edits,
compiles the one extension's sources on every core with light optimisation (Ice only carries
remote calls for omero-py here) and caches the wheel under ``~/.cache/labelcollections/wheels``.

Usage: ``python tools/build_zeroc_ice.py [--wheels DIR] [--jobs N]``; prints the wheel's path.
Install afterwards with ``pip install --find-links DIR 'omero-py>=5.19'``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.6.5"
DEFAULT_WHEELS = Path.home() / ".cache" / "labelcollections" / "wheels"
BUILD_PACKAGES = {"g++": "/usr/bin/g++", "libssl-dev": "/usr/include/openssl/ssl.h"}
BUILD_PACKAGES["libbz2-dev"] = "/usr/include/bzlib.h"

# (file, text to find, replacement): the CPython 3.11 API removals.
SOURCE_FIXES = (
    ("src/Slice.cpp", "#include <compile.h>\n", ""),
    ("src/Slice.cpp", "#include <eval.h>\n", ""),
    ("src/Util.cpp", "PyThreadState_GET()->frame", "PyEval_GetFrame()"),
)

# distutils compiles the sources of one extension one after another; this runs them on a pool.
PARALLEL_COMPILE = """
import concurrent.futures as _futures
from distutils import ccompiler as _ccompiler


def _parallel_compile(self, sources, output_dir=None, macros=None, include_dirs=None, debug=0,
                      extra_preargs=None, extra_postargs=None, depends=None):
    macros, objects, extra_postargs, pp_opts, build = self._setup_compile(
        output_dir, macros, include_dirs, sources, depends, extra_postargs)
    cc_args = self._get_cc_args(pp_opts, debug, extra_preargs)

    def compile_one(obj):
        if obj in build:
            src, ext = build[obj]
            self._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

    jobs = int(os.environ.get("ICE_BUILD_JOBS", "1"))
    with _futures.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(compile_one, objects))
    return objects


_ccompiler.CCompiler.compile = _parallel_compile

"""


def cached_wheel(wheels: Path) -> Path | None:
    """The cached wheel for this interpreter and platform, if one was built before."""
    python_tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform_tag = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    pattern = f"zeroc_ice-{VERSION}-{python_tag}-{python_tag}-{platform_tag}.whl"
    return next(iter(sorted(wheels.glob(pattern))), None)


def ensure_build_packages() -> None:
    """Install the compiler and headers with apt-get when they are missing (needs root)."""
    missing = [name for name, path in BUILD_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"build_zeroc_ice: install {' '.join(missing)} first")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def fix_sources(source: Path) -> None:
    """Apply the CPython 3.11 edits and the parallel compile step to an unpacked sdist."""
    for name, old, new in SOURCE_FIXES:
        path = source / name
        text = path.read_text()
        if old not in text:
            sys.exit(f"build_zeroc_ice: {name}: {old.strip()!r} not found (unexpected source)")
        path.write_text(text.replace(old, new, 1))
    setup = source / "setup.py"
    text = setup.read_text()
    anchor = "\nsetup(\n"
    if anchor not in text:
        sys.exit("build_zeroc_ice: setup.py: no setup( call found (unexpected source)")
    setup.write_text(text.replace(anchor, PARALLEL_COMPILE + anchor, 1))


def build(wheels: Path, jobs: int) -> Path:
    """Download, fix and compile the sdist; return the wheel copied into ``wheels``."""
    ensure_build_packages()
    pip = [sys.executable, "-m", "pip"]
    with tempfile.TemporaryDirectory(prefix="zeroc-ice-") as tmp:
        work = Path(tmp)
        download = [*pip, "download", "--quiet", "--no-binary", ":all:", "--no-deps"]
        subprocess.run([*download, "--dest", str(work), f"zeroc-ice=={VERSION}"], check=True)
        with tarfile.open(work / f"zeroc-ice-{VERSION}.tar.gz") as archive:
            archive.extractall(work, filter="data")
        source = work / f"zeroc-ice-{VERSION}"
        fix_sources(source)
        flags = "-O1 -g0"  # C++ sources take CXXFLAGS with recent setuptools, C sources CFLAGS
        env = {**os.environ, "CFLAGS": flags, "CXXFLAGS": flags, "ICE_BUILD_JOBS": str(jobs)}
        subprocess.run(
            [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), str(source)],
            check=True,
            env=env,
        )
        built = next((work / "dist").glob("zeroc_ice-*.whl"))
        wheels.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(built, wheels / built.name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, default=DEFAULT_WHEELS, help="wheel cache folder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel compiles")
    args = parser.parse_args()
    wheel = cached_wheel(args.wheels) or build(args.wheels, args.jobs)
    print(wheel)


if __name__ == "__main__":
    main()
