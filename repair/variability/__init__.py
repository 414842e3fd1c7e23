"""Is a difference real? Variability across seeds, paired statistics, the held-out protocol.

Pure functions over numpy arrays (``stats``, ``matrix``, ``scenarios``, ``holdout``, ``paired``);
``analysis`` reads models and splits and writes the ``repair variability`` outputs.
"""
