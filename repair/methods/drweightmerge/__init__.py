"""DRWeightMerge (the eAI-Repair-Toolkit's): weighted multi-type repair, as ``drweightmerge``."""

from repair.methods.drweightmerge.method import DRWeightMerge

__all__ = ["DRWeightMerge"]
