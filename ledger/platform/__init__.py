"""What e-commerce platforms use: listing verification with signed verdicts (``listings``,
``verdicts``, ``verdictkey``), notices of holds and recalls, webhooks, the recall feed."""
