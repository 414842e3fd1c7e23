"""Robustness: corruptions, adversarial attacks and the stratified audit (arrays and tables)."""
