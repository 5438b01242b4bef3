"""Pure domain rules: plain Python that decides, never does I/O."""
