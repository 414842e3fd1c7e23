"""The ``repair`` command line: thin wrappers that turn options into library calls."""
