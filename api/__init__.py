"""The agritrace HTTP service: ``create_app(settings)`` builds the FastAPI application.

Modules: ``app`` (the factory and the integrator thread), ``settings`` (integrator and
witnesses), ``deps`` (the ledger and log dependencies), ``errors`` (errors as JSON),
``schemas`` (response bodies), ``routes/`` (``health``, ``lots``, ``log``).
"""

from api.app import create_app

__all__ = ["create_app"]
