"""The extra per-image keys that robustness files carry (docs/formats.md, "Dataset splits").

``repair corrupt`` writes the corruption keys and ``repair attack`` the attack keys, both with
``source_index`` (the image's row in the source split); ``repair audit`` reads them back to find
each image's stratum. One home for the names, so writers and readers cannot drift apart.
"""

CORRUPTION_KEY = "corruption"
INTENSITY_KEY = "intensity"
ATTACK_KEY = "attack"
EPS_KEY = "eps"
SOURCE_MODEL_KEY = "source_model"
SOURCE_INDEX_KEY = "source_index"
# The keys that say which stratum an image belongs to (source_index does not).
STRATUM_KEYS = (ATTACK_KEY, EPS_KEY, SOURCE_MODEL_KEY, CORRUPTION_KEY, INTENSITY_KEY)
