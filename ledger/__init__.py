"""The agritrace ledger: domain, application service, event store, log and exports."""
