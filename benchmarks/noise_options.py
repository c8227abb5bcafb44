"""The seeding's noise options for the benchmarks that seed, as ``kho sources seed`` takes
them: ``--noise KIND=RATE`` (repeatable) and ``--noise-level F``.

Imported by benchmarks/seed_sources.py and benchmarks/entity_resolution (which puts this
folder on ``sys.path``).
"""

from __future__ import annotations

import argparse

from simulated_sources.noise import NoiseSettings


def add_noise_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--noise", action="append", default=[], metavar="KIND=RATE",
                        help="set one noise rate (repeatable), e.g. "
                             "--noise name_no_diacritics=0.2; kinds and defaults: "
                             "docs/simulated_sources.md")
    parser.add_argument("--noise-level", type=float, default=1.0, metavar="F",
                        help="multiply every default noise rate (0 gives clean sources)")


def noise_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> NoiseSettings:
    """The settings the options ask for; a bad option ends the run with its message."""
    if args.noise_level < 0:
        parser.error(f"--noise-level {args.noise_level} is negative")
    try:
        return NoiseSettings.from_options(args.noise, args.noise_level)
    except ValueError as err:
        parser.error(f"--noise: {err}")


def describe(noise: NoiseSettings, level: float) -> str:
    """The noise level and the rates set apart from it, for the log."""
    scaled = NoiseSettings().scaled(level).as_dict()
    changed = [f"{kind}={rate:g}" for kind, rate in noise.as_dict().items()
               if rate != scaled[kind]]
    return ", ".join([f"noise level {level:g}" if level != 1 else "default noise", *changed])
