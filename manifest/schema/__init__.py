"""The official Teams manifest and Adaptive Card schemas, kept as package data (see README.md)."""
