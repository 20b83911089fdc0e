"""Measurements against published anchors (accuracy on the IndoBERTweet HS folds, speed, corpus evaluation).

Run as scripts from the repository root, e.g. ``python benchmarks/hs_folds.py``; results go in ``RESULTS.md``.
Not tests: nothing here asserts a number.
"""
