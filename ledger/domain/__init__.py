"""Domain model: lots, organisations, the records each step makes and the rules they keep."""
