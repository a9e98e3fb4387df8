"""``python -m ledger.cli``: the ``agritrace`` command."""

from ledger.cli import main

main()
