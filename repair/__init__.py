"""repair: repair trained image classifiers without retraining them.

Importing the package is cheap: TensorFlow is imported only by the modules that need it.
"""

__version__ = "0.1.0"
