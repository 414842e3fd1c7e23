"""NeuRecover (Tokui et al., SANER 2022): regression-aware repair from the training history.

Registered as ``neurecover``.
"""

from repair.methods.neurecover.method import NeuRecover

__all__ = ["NeuRecover"]
