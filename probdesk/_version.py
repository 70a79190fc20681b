"""The version probdesk reports; build.spec and a test keep it equal to pyproject.toml."""

__version__ = "0.1.0"
