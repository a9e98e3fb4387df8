"""GS1 EPCIS 2.0 and CBV 2.0: records as standard events, their CBV event hash ids, queries."""
