"""congress: the core of the congress management system."""

__version__ = "0.1.0"
