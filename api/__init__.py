"""The agritrace HTTP service: ``create_app(settings)`` builds the FastAPI application.

Modules: ``app`` (the factory), ``services`` (everything the routes use, one frozen object
per app), ``settings`` (integrator, witnesses, limits, from the environment), ``deps`` (the
services and the caller as typed dependencies), ``errors`` (errors as JSON, in one place),
``middleware/`` (limits, metrics, CORS, headers, JSON bodies), ``workers`` (where the worker
processes of one run share their metrics), ``recording`` (idempotency keys, retries and
``?wait=true`` around every recording endpoint), ``serving`` (uvicorn's protocol for
``agritrace serve``), ``scan/`` (the Digital Link resolver), ``schemas/`` (request and
response bodies), ``routes/`` (one module per concept).
"""

from api.app import create_app

__all__ = ["create_app"]
