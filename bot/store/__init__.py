"""Persistence: an abstract store of use-case methods and its SQL implementation."""
