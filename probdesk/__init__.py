"""probdesk: offline-first inspection of probation services' public-protection work."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("probdesk")
except _metadata.PackageNotFoundError:  # running from a source tree or a frozen bundle
    from probdesk._version import __version__ as __version__
