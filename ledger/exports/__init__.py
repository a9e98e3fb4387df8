"""What an inspector's office takes away: traceability exports and the audit report."""
