"""Private data for inspectors, with accountability, and erasure by person.

- ``rights``   which inspection lets an inspector read a lot's private data (its own lot or
               a lot it was made into), and the 403 naming the missing one
- ``reading``  reads, each inspector's read recorded first as a ``PrivateDataRead`` record
               on the lot read; the recorded reads of a lot
- ``labels``   the record and field each commitment sits in
- ``stored``   the kept values of many chains at once, erased ones as erased
- ``erasure``  every value of one household of a cooperative, erased in one request
"""

from __future__ import annotations

from ledger.inspection.erasure import ErasedValue, erase_household, household_values
from ledger.inspection.reading import READ_STEP, PrivateRead, PrivateReads
from ledger.inspection.rights import Inspection, granting_inspection

__all__ = ["READ_STEP", "ErasedValue", "Inspection", "PrivateRead", "PrivateReads",
           "erase_household", "granting_inspection", "household_values"]
