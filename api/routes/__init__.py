"""The service's routes, one module per concept: ``health`` (liveness, metrics), ``lots``
(history, bundle, search, index), ``lineage`` (trace back and forward, recall reach),
``records`` (a record by hash, private values), ``recording`` (one endpoint per step, batch,
client-signed), ``orgs`` (organisations and keys), ``tokens`` (API tokens, whoami), ``log``
(checkpoints, proofs, tiles)."""
