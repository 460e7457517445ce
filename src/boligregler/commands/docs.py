"""`boligregler docs build|serve`: build or serve the policy site with MkDocs."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
from pathlib import Path

from boligregler.diagnostics import BoligreglerError, file_reason


def register(sub) -> None:
    p = sub.add_parser("docs", help="bygg eller vis nettstedet med regelverkene", description=(
        "Lager nettstedet med én side per regelverk, sammenligningen av kommunene og resten av "
        "dokumentasjonen (MkDocs med mkdocs.yml)."))
    p.add_argument("--konfig", default="mkdocs.yml", metavar="FIL", help="MkDocs-konfigurasjonen (standard: mkdocs.yml)")
    actions = p.add_subparsers(dest="handling", metavar="HANDLING", required=True)
    build = actions.add_parser("build", help="bygg nettstedet til en mappe")
    build.add_argument("--mappe", metavar="MAPPE", help="hvor nettstedet skrives (standard: site_dir i konfigurasjonen)")
    build.add_argument("--ikke-streng", dest="strict", action="store_false",
                       help="ikke stopp på advarsler (standard er å stoppe)")
    build.set_defaults(handler=run_build)
    serve = actions.add_parser("serve", help="vis nettstedet lokalt og bygg på nytt når filer endres")
    serve.add_argument("--adresse", default="127.0.0.1:8000", metavar="VERT:PORT",
                       help="adressen nettstedet vises på (standard: 127.0.0.1:8000)")
    serve.set_defaults(handler=run_serve)


def _config_file(path: str) -> str:
    if not Path(path).is_file():
        raise BoligreglerError(f"{path}: finner ikke MkDocs-konfigurasjonen; kjør kommandoen der mkdocs.yml ligger "
                               "eller oppgi --konfig")
    return path


def _mkdocs():
    try:
        from mkdocs import config, exceptions
        from mkdocs.commands import build, serve
    except ImportError:
        raise BoligreglerError("MkDocs er ikke installert; installer med: pip install 'boligregler[site]'") from None
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    return config, exceptions, build, serve


@contextlib.contextmanager
def _mkdocs_warnings_to_stderr():
    """Show MkDocs' warnings and errors (its own CLI sets this up; its API does not)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def run_build(args) -> int:
    config, exceptions, build, _ = _mkdocs()
    overrides = {"site_dir": str(Path(args.mappe).resolve())} if args.mappe else {}
    try:
        with _mkdocs_warnings_to_stderr():
            cfg = config.load_config(_config_file(args.konfig), strict=args.strict, **overrides)
            build.build(cfg)
    except exceptions.Abort as e:
        raise BoligreglerError(f"nettstedet ble ikke bygd: {e}") from None
    except exceptions.ConfigurationError as e:
        raise BoligreglerError(f"{args.konfig}: ugyldig konfigurasjon: {e}") from None
    print(f"Nettstedet er bygd i {cfg.site_dir}")
    return 0


def run_serve(args) -> int:
    _, exceptions, _, serve = _mkdocs()
    print(f"Viser nettstedet på http://{args.adresse}/ (Ctrl+C avslutter)", flush=True)
    try:
        with _mkdocs_warnings_to_stderr():
            serve.serve(_config_file(args.konfig), dev_addr=args.adresse)
    except exceptions.Abort as e:
        raise BoligreglerError(f"nettstedet kan ikke vises: {e}") from None
    except OSError as e:
        if e.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            why = {errno.EADDRINUSE: "er allerede i bruk", errno.EACCES: "krever rettigheter denne brukeren ikke har",
                   errno.EADDRNOTAVAIL: "finnes ikke på denne maskinen"}[e.errno]
            raise BoligreglerError(f"adressen {args.adresse} {why}; velg en annen med --adresse VERT:PORT, "
                                   "f.eks. --adresse 127.0.0.1:8001") from None
        raise BoligreglerError(f"nettstedet kan ikke vises: {file_reason(e)}") from None
    except exceptions.ConfigurationError as e:
        raise BoligreglerError(f"{args.konfig}: ugyldig konfigurasjon: {e}") from None
    return 0
