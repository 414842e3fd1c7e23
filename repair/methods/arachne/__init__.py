"""Arachne (arXiv 1912.12463): the built-in repair method, registered as ``arachne``."""

from repair.methods.arachne.method import Arachne

__all__ = ["Arachne"]
