"""Use cases, one module per feature: each exposes tables of text commands and card verbs."""
