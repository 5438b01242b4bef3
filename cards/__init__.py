"""Adaptive Cards (1.5, as Teams renders them), built by pure functions: view data in, card JSON out."""
