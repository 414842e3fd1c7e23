"""Data, models and results: the pieces every command shares."""
