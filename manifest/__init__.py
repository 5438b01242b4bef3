"""The Teams app package: manifest template, icons, offline schema checks, zip (`als manifest`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from manifest.config import PackageConfig, load_config
    from manifest.package import ManifestError, build, render, validate_package

__all__ = ["ManifestError", "PackageConfig", "build", "load_config", "render", "validate_package"]

# `als` registers the manifest commands on every run, `als serve` too: the package (jsonschema,
# Pillow, the schemas) is imported when a name is first used, not when the commands are listed.
_HOMES = {"PackageConfig": "manifest.config", "load_config": "manifest.config",
          "ManifestError": "manifest.package", "build": "manifest.package", "render": "manifest.package",
          "validate_package": "manifest.package"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
