"""Platforms: listing verification with signed verdicts (``listings``, ``verdicts``,
``verdictkey``), and what tells platforms of holds and recalls."""
