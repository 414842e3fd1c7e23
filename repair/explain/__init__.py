"""Explanations of a model's decisions on single inputs: Grad-CAM maps (:mod:`.gradcam`).

Functions take a Keras model and arrays and return arrays; files are written by
:mod:`repair.app.saliency` and overlays drawn by :mod:`repair.reports.saliency`. Importing this
package does not import TensorFlow; :mod:`.gradcam` does.
"""
