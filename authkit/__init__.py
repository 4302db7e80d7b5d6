"""authkit: the command line and the plumbing that runs the variants side by side."""

__version__ = "0.1.0"
