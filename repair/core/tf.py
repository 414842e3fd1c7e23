"""Import TensorFlow and Keras once, quietly.

TensorFlow's C++ start-up logs (oneDNN, CUDA probing) are written to file descriptor 2 before
its Python logging exists, so the environment variables alone cannot silence them: we point
descriptor 2 at /dev/null for the duration of the import. Import ``tf`` and ``keras`` from here.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _quiet_import():  # noqa: ANN202 - returns the two modules
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras
            import tensorflow
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    tensorflow.get_logger().setLevel("ERROR")
    return tensorflow, keras


tf, keras = _quiet_import()
