"""Model architectures for ``repair train`` (entry-point group ``repair.models``).

Each entry point is a function ``build(input_shape, num_classes) -> keras.Model`` whose last
layer is a ``Dense(num_classes, activation="softmax")``, the layer Arachne repairs by default.
"""
