"""Analyses that read the store and return result objects."""
