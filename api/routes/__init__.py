"""The service's routes, one module per concept: ``health``, ``lots``, ``log``."""
