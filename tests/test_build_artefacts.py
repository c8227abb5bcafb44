"""What builds leave in dbt's target folder: the latest builds' folders kept, older ones
and unused parse caches removed, and a parse cache kept only from a build whose marts were
in the build schema."""

from __future__ import annotations

import json
import os
import time

from pipelines.dbt.assets import (
    KEEP_BUILD_TARGETS,
    BuildParseCache,
    marts_in_build_schema,
    prune_build_targets,
)


def manifest(path, *schemas: str) -> None:
    nodes = {f"model.kho.m{i}": {"resource_type": "model", "fqn": ["kho", "marts", "x", f"m{i}"],
                                 "schema": schema} for i, schema in enumerate(schemas)}
    nodes["model.kho.s"] = {"resource_type": "model", "fqn": ["kho", "staging", "x", "s"],
                            "schema": "staging"}
    path.write_text(json.dumps({"nodes": nodes}))


def test_only_the_latest_builds_folders_stay(tmp_path):
    builds = [tmp_path / f"kho-build-2026120{day}T0{hour}0000-abcdef{day}{hour}"
              for day in range(1, 4) for hour in range(5)]
    for folder in [*builds, tmp_path / "kho_dbt_models-1234567-89abcde",
                   tmp_path / "docs-generate"]:
        folder.mkdir()
        (folder / "manifest.json").write_text("{}")
    (tmp_path / "manifest.json").write_text("{}")
    fresh, stale = (tmp_path / f"kho_build_parse-{key}.msgpack" for key in ("a1", "b2"))
    fresh.write_bytes(b"x")
    stale.write_bytes(b"x")
    long_ago = time.time() - 8 * 86_400
    os.utime(stale, (long_ago, long_ago))

    removed = prune_build_targets(tmp_path)
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([*(b.name for b in builds[-KEEP_BUILD_TARGETS:]), "docs-generate",
                           "manifest.json", fresh.name])
    assert len(removed) == len(builds) - KEEP_BUILD_TARGETS + 2


def test_a_parse_cache_is_kept_only_from_a_build_with_its_marts_in_the_build_schema(tmp_path):
    cache = BuildParseCache(tmp_path / "kho_build_parse-a1.msgpack")
    build = tmp_path / "kho-build-1"
    assert not cache.restore(build)

    build.mkdir()
    (build / BuildParseCache.NAME).write_bytes(b"parsed for a build")
    manifest(build / "manifest.json", "marts_build", "marts_build")
    assert marts_in_build_schema(build / "manifest.json")
    cache.keep(build)
    assert cache.path.read_bytes() == b"parsed for a build"
    assert cache.restore(tmp_path / "kho-build-2")
    assert (tmp_path / "kho-build-2" / BuildParseCache.NAME).read_bytes() == b"parsed for a build"

    # A build that started from a parse made for another command: its cache is dropped.
    (build / BuildParseCache.NAME).write_bytes(b"parsed for dbt parse")
    manifest(build / "manifest.json", "marts_build", "marts")
    assert not marts_in_build_schema(build / "manifest.json")
    cache.keep(build)
    assert not cache.path.exists()
    manifest(build / "manifest.json")
    assert not marts_in_build_schema(build / "manifest.json")  # no marts at all
    (build / "manifest.json").write_text("{not json")
    assert not marts_in_build_schema(build / "manifest.json")
