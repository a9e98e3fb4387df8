"""What an inspector's office takes away: the traceability spreadsheet (``trace``, written
by ``xlsx`` and ``csv``), the scan reports (``scans``) and the audit report (``report``).

- ``query``      what a trace asks for (lot, GTIN, organisation, recall, dates), checked once
- ``columns``    the trace's columns, Chinese with English beside, and the UTC+8 clock
- ``selection``  which lots a trace covers: the seeds, then back and forward through lineage
- ``kdes``       one row per record: the key data elements of each critical tracking event
- ``sorting``    rows in time order within bounded memory (sorted runs spilled to disk)
- ``trace``      ``build_trace``: the rows of a query, counted against a limit, and the cover
- ``access``     who may export which trace or scan report
- ``xlsx``, ``csv``  the writers
- ``scans``      scan counts per GTIN, lot and day, with the codes that look copied
- ``report*``, ``lineage_graph``, ``coldchain_chart``  the audit report (``report``)
"""
