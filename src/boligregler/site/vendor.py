"""The browser parts of the site, vendored from the npm registry at build time (never from a CDN).

`web/package.json` and `web/package-lock.json` pin them: the Pyodide runtime the calculator
runs the library in, and axe-core for the accessibility tests. `npm ci` installs them once per
lock file into the per-user cache folder (`~/.cache/boligregler/web-<lock hash>`), shared by every
checkout with the same lock, or into `web/node_modules` when the cache is disabled. The install
goes to a temporary folder that is renamed into place, so parallel builds never see half of it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from boligregler.diagnostics import BoligreglerError
from boligregler.syntax.cache import private_dir, user_cache_dir

WEB = Path(__file__).resolve().parents[3] / "web"


class VendorError(BoligreglerError):
    """The npm packages the site needs could not be installed."""

    code = "npm_pakker"


def node_modules(web: Path = WEB) -> Path:
    """The `node_modules` folder with the packages `web/package-lock.json` pins, installed if missing."""
    lock = web / "package-lock.json"
    try:
        digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    except OSError as e:
        raise VendorError(f"finner ikke {lock}: {e.strerror}") from None
    cache = user_cache_dir()
    home = cache / f"web-{digest}" if cache is not None and private_dir(cache) else web
    target = home / "node_modules"
    stamp = target / ".boligregler-lock"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm mangler: installer Node.js og npm (apt-get install nodejs npm) for å bygge nettstedet")
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home, prefix=".npm-") as tmp:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(web / name, Path(tmp) / name)
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                              cwd=tmp, capture_output=True, text=True)
        if done.returncode != 0:
            raise VendorError(f"npm ci feilet for {web}:\n{done.stderr.strip()[-2000:]}")
        (Path(tmp) / "node_modules" / ".boligregler-lock").write_text(digest, encoding="utf-8")
        if stamp.is_file():  # another build finished first
            return target
        shutil.rmtree(target, ignore_errors=True)
        try:
            (Path(tmp) / "node_modules").rename(target)
        except OSError:
            if not stamp.is_file():
                raise
    return target


def package_dir(name: str, web: Path = WEB) -> Path:
    """The installed folder of one vendored npm package."""
    return node_modules(web) / name
