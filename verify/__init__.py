"""Pure verification of agritrace records, chains, Merkle proofs, checkpoints and bundles.

Depends only on the standard library, ``cryptography`` and ``rfc8785``.
"""
