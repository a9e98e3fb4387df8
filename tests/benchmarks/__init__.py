"""Benchmarks, each side by side with its baseline in one run (``make bench``)."""
