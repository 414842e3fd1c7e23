"""Embedding drift: has the new data moved away from the data the model was built on, and where?

Pure functions over arrays (embeddings in, scores and tables out) in ``stats``, ``cluster``,
``classifier``, ``mmd``, ``prediction`` and ``labels``; ``report`` runs the chosen methods and
the per-label view; ``embeddings`` computes the embeddings with the activation code Arachne
repairs with. The ``repair drift`` command's function (files in, files out) is
:func:`repair.app.drift.run_drift`; the chart is :mod:`repair.reports.drift`.
"""
