"""The application layer: one keyword-only function per command, returning a small result.

The typer commands in :mod:`repair.cli` only parse options, call one of these and print the
result; scripts, sweeps and tests call them in-process. Modules: :mod:`.commands` (prepare,
train, test, target, inspect), :mod:`.runner` (localize, optimize), :mod:`.evaluation`
(evaluate), :mod:`.utils` (the computing ``repair utils`` commands), :mod:`.compare`
(``utils compare``: results, audits, or two models paired), :mod:`.drift` (``repair drift``),
:mod:`.sweep` (``repair sweep``), :mod:`.corrupt` (``repair corrupt``), :mod:`.attack`
(``repair attack``), :mod:`.audit` (``repair audit``), :mod:`.variability`
(``repair variability``), :mod:`.bdd` (``create_category_dir``, ``create_image_subset``).
Nothing here imports TensorFlow at import time.
"""
