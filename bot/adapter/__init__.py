"""The Bot Framework SDK and aiohttp side: the only code that a move to another Teams SDK touches."""
