"""Embedding drift: has the new data moved away from the data the model was built on, and where?

Pure functions over arrays (embeddings in, scores and tables out) in ``stats``, ``cluster``,
``classifier``, ``mmd``, ``prediction`` and ``labels``; ``embeddings`` computes the embeddings
with the activation code Arachne repairs with, and ``run`` is the ``repair drift`` command's
application function (files in, files out). Charts live in :mod:`repair.reports.drift`.
"""
