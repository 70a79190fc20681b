"""probdesk: offline-first inspection of probation services' public-protection work."""

# A plain module rather than importlib.metadata: it is quicker at start-up and works the same in
# the frozen bundle. build.spec and a test keep it equal to pyproject.toml's version.
from probdesk._version import __version__ as __version__
