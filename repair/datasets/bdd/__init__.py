"""BDD100K objects: crop labelled objects out of driving frames, sample them, pack them.

The 13 object classes of the detection labels, in the order that fixes their label index
(docs/formats.md, "Dataset splits").
"""

BDD_CLASSES: tuple[str, ...] = (
    "bicycle",
    "bus",
    "car",
    "motorcycle",
    "other person",
    "other vehicle",
    "pedestrian",
    "rider",
    "traffic light",
    "traffic sign",
    "trailer",
    "train",
    "truck",
)
