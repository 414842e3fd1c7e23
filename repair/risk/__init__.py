"""Risk of an operating condition: how often it occurs, how often the model misses in it.

``rates`` holds the arithmetic (pure functions over counts); ``inputs`` reads the splits and the
Scalabel label files; ``repair.app.risk`` runs ``repair utils risk_calculation_tool``.
"""
