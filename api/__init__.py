"""The agritrace HTTP service: ``create_app(settings)`` builds the FastAPI application.

Modules: ``app`` (the factory, the integrator thread, the write lock), ``settings`` (integrator,
witnesses, limits), ``deps`` (the ledger, the log and the caller as dependencies), ``errors``
(errors as JSON, in one place), ``limits`` (rate limit per address, body size), ``metrics``
(Prometheus text), ``recording`` (idempotency keys, retries and ``?wait=true`` around every
recording endpoint), ``serving`` (uvicorn's protocol for ``agritrace serve``), ``schemas/``
(request and response bodies), ``routes/`` (one module per concept).
"""

from api.app import create_app

__all__ = ["create_app"]
