"""The composition root: the ``ladder`` CLI, config, jobs, and (later) the service and mail."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("service-ladder")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"
