"""The Teams app package: manifest template, icons, offline schema checks, zip (`als manifest`)."""

from manifest.config import PackageConfig, load_config
from manifest.package import ManifestError, build, render, validate_package

__all__ = ["ManifestError", "PackageConfig", "build", "load_config", "render", "validate_package"]
