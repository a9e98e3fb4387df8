"""The recording pipeline: what every record of a lot's chain passes before it is stored,
whoever signs it.

1. Validate the step's data (``ledger.domain.steps``).
2. Seal private values into commitments (``ledger.private.values``).
3. Build the record's canonical bytes (``ledger.recording.records``).
4. Check the domain rules (``Lot.check_genesis``, ``Lot.check``, given the lots it was
   made from) and that every GTIN it assigns is registered to the recording organisation;
   note what it states that is accepted with a warning (``ledger.domain.notices``).
5. Sign it at commit: with the organisation's newest server-held key, or with the signature
   a client submitted for the same bytes (``ledger.recording.submission``).
6. The use case commits its unit of work once, all or nothing (``ledger.persistence.work``).

One step may make several records: a collection appends to each input lot and starts the
collected lot, a grading starts each grade lot, a recall cascades to every descendant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger.domain.certificates import complete_compliance_certificate
from ledger.domain.fields import lot_code, timestamp
from ledger.domain.gtins import assigned_gtins
from ledger.domain.lineage import lineage
from ledger.domain.lot import Lot
from ledger.domain.notices import notices_of
from ledger.domain.organisation import Organisation
from ledger.domain.steps import (
    COLLECT,
    LEDGER_STEPS,
    PRIVATE_STEPS,
    parse_corrected_values,
    parse_record_data,
)
from ledger.domain.transformations import plan_collection, plan_grading
from ledger.errors import LedgerError
from ledger.keys.signing import RecordSigner
from ledger.keys.vault import Vault
from ledger.persistence.store import EventStore
from ledger.persistence.work import UnitOfWork
from ledger.private.values import Sealed, seal
from ledger.recording.records import build_record
from ledger.recording.submission import (
    ClientSignatures,
    commands_of,
    require_same,
    verify_signatures,
)
from verify.records import ZERO_HASH, Record

__all__ = ["Pipeline"]


class Pipeline:
    """Records steps into a unit of work, through the steps above."""

    def __init__(self, store: EventStore, vault: Vault) -> None:
        self.store = store
        self.vault = vault

    def record(self, work: UnitOfWork, org_id: str, step: str, data: Mapping[str, Any], *,
               lot: str | None, time: Any) -> None:
        """Record one ``step`` of ``org_id`` on ``lot`` (a collection names its new lot in
        ``data.into``) into ``work``; ``time``: when it happened, if given."""
        actor = work.organisation(org_id)
        if step == "Harvested":
            self._harvest(work, actor, lot_code(lot, "lot"), data, time)
        elif step == "Collected":
            self._collect(work, actor, data, time)
        elif step == "Graded":
            self._grade(work, actor, work.lot(lot_code(lot, "lot")), data, time)
        elif step == "Recalled":
            self._recall(work, actor, work.lot(lot_code(lot, "lot")), data, time)
        elif step == "Corrected":
            self._correct(work, actor, work.lot(lot_code(lot, "lot")), data, time)
        else:
            target = work.lot(lot_code(lot, "lot"))
            parsed = parse_record_data(step, data, genesis=False)
            if step == "Certified":
                parsed = complete_compliance_certificate(parsed, actor.contact or None)
            moment = _when(time, parsed, work.recorded)
            self._append(work, actor, target, step, parsed, moment)

    def record_written(self, work: UnitOfWork, org_id: str, step: str, lot: str,
                       data: Mapping[str, Any]) -> bytes:
        """Record a step the ledger writes itself (``LEDGER_STEPS``, never asked for by a
        request) of ``org_id`` on ``lot``, dated now, through the same checks and signing as
        every step; returns its hash."""
        parsed = LEDGER_STEPS[step](data, "data")
        target = work.lot(lot_code(lot, "lot"))
        return self._append(work, work.organisation(org_id), target, step, parsed,
                            work.recorded)

    def replay(self, work: UnitOfWork, records: Sequence[Record],
               signatures: Sequence[bytes]) -> None:
        """Record again the steps whose records a client built and signed, with its key
        ids and recording time (``ledger.recording.submission``): the derived records must
        be the submitted ones byte for byte, and each signature must verify with its key."""
        signer = ClientSignatures({record.hash: signature for record, signature
                                   in zip(records, signatures, strict=True)})
        keys: dict[str, Mapping[str, str]] = {}
        for command in commands_of(records):
            try:
                org = work.organisation(command.org)
                org.require_key(command.key)
                keys[org.org_id] = org.active_keys
                work.signers[org.org_id] = (command.key, signer)
                self.record(work, command.org, command.step, command.data, lot=command.lot,
                            time=command.time)
            except LedgerError as error:
                error.locate(f"records[{command.index}]")
                raise
        require_same(records, work.appended)
        verify_signatures(records, signatures, keys)

    def _harvest(self, work: UnitOfWork, actor: Organisation, code: str,
                 data: Mapping[str, Any], time: Any) -> None:
        work.require_new(f"lot/{code}", "lot")
        parsed = parse_record_data("Harvested", data, genesis=True)
        moment = _when(time, parsed, work.recorded)
        self._start_lot(work, actor, code, "Harvested", parsed, moment, ())

    def _collect(self, work: UnitOfWork, actor: Organisation, data: Mapping[str, Any],
                 time: Any) -> None:
        command = COLLECT(data, "data")
        into = command["into"]
        work.require_new(f"lot/{into}", "data.into")
        inputs = {p["lot"]: work.lot(p["lot"]) for p in command["purchases"]}
        plan = plan_collection(command, inputs)
        moment = _when(time, command, work.recorded)
        links = []
        for code, quantity in plan.taken.items():
            taken = {"into": into, "collection_point": command["collection_point"],
                     "quantity": quantity}
            links.append(self._append(work, actor, inputs[code], "Collected", taken, moment))
        self._start_lot(work, actor, into, "Collected", plan.output, moment, links)

    def _grade(self, work: UnitOfWork, actor: Organisation, lot: Lot,
               data: Mapping[str, Any], time: Any) -> None:
        command = parse_record_data("Graded", data, genesis=False)
        for i, output in enumerate(command["outputs"]):
            work.require_new(f"lot/{output['lot']}", f"data.outputs[{i}].lot")
        outputs = plan_grading(command, lot)
        moment = _when(time, command, work.recorded)
        link = self._append(work, actor, lot, "Graded", command, moment)
        for requested, output in zip(command["outputs"], outputs, strict=True):
            self._start_lot(work, actor, requested["lot"], "Graded", output, moment, (link,))

    def _recall(self, work: UnitOfWork, actor: Organisation, lot: Lot,
                data: Mapping[str, Any], time: Any) -> None:
        """Recall ``lot`` and every lot made from it; each descendant's chain says why."""
        parsed = parse_record_data("Recalled", data, genesis=False)
        moment = _when(time, parsed, work.recorded)
        order = self._append(work, actor, lot, "Recalled", parsed, moment)
        cascade = {"reason": parsed["reason"], "recall": order.hex(), "because_of": lot.code}
        for descendant in lineage(lot.code, work.lot, forward=True)[1:]:
            if not descendant.recalled:
                self._append(work, actor, descendant, "Recalled", cascade, moment, (order,))

    def _correct(self, work: UnitOfWork, actor: Organisation, lot: Lot,
                 data: Mapping[str, Any], time: Any) -> None:
        """Correct an earlier record of ``lot`` (or, naming a correction, that correction's
        original): the values must fit the original's fields, and private ones are sealed
        as the original's were."""
        parsed = parse_record_data("Corrected", data, genesis=False)
        original = lot.original(parsed["corrects"])
        parsed["values"] = parse_corrected_values(original.type, parsed["values"],
                                                  genesis=original.seq == 0)
        moment = _when(time, parsed, work.recorded)
        self._append(work, actor, lot, "Corrected", parsed, moment)

    def _start_lot(self, work: UnitOfWork, actor: Organisation, code: str, step: str,
                   data: dict[str, Any], moment: str, links: Sequence[bytes]) -> bytes:
        _check_gtins(actor, step, data)
        sealed: list[Sealed] = []
        sealed_data = seal(data, sealed) if step in PRIVATE_STEPS else data
        signer, private_key = self._signer(work, actor)
        record = build_record(chain=f"lot/{code}", seq=0, prev=ZERO_HASH, links=links,
                              step=step, data=sealed_data, org=actor.org_id, key=signer,
                              time=moment, recorded=work.recorded)
        Lot.check_genesis(record, actor.actor)
        started: Lot = work.start(Lot, record, private_key)
        work.keep_private(sealed, record.chain)
        work.notice(record, notices_of(started, record.hash_hex))
        return record.hash

    def _append(self, work: UnitOfWork, actor: Organisation, lot: Lot, step: str,
                data: dict[str, Any], moment: str, links: Sequence[bytes] = ()) -> bytes:
        _check_gtins(actor, step, data)
        sealed: list[Sealed] = []
        sealed_data = seal(data, sealed) if step in PRIVATE_STEPS else data
        signer, private_key = self._signer(work, actor)
        record = build_record(chain=lot.chain_name, seq=lot.next_seq, prev=lot.head,
                              links=links, step=step, data=sealed_data, org=actor.org_id,
                              key=signer, time=moment, recorded=work.recorded)
        lot.check(record, actor.actor, lambda: lineage(lot.code, work.lot, forward=False)[1:]
                  if lot.parents else ())
        work.extend(lot, record, private_key)
        work.keep_private(sealed, record.chain)
        about = lot.original(data["corrects"]).hash_hex if step == "Corrected" else \
            record.hash_hex
        work.notice(record, notices_of(lot, about))
        return record.hash

    def _signer(self, work: UnitOfWork, org: Organisation) -> tuple[str, RecordSigner]:
        """The key ``org`` signs with in this unit of work (chosen once): a client's, set
        by ``replay``, else its newest server-held key."""
        chosen = work.signers.get(org.org_id)
        if chosen is None:
            chosen = work.signers[org.org_id] = self.vault.newest_key(org)
        return chosen


def _check_gtins(actor: Organisation, step: str, data: Mapping[str, Any]) -> None:
    """Every GTIN the step assigns must be under a registration of the recording
    organisation: nobody packs under another's GS1 company prefix, nor under none."""
    for field, value in assigned_gtins(step, data):
        actor.require_gtin(value, field)


def _when(time: Any, data: Mapping[str, Any], recorded: str) -> str:
    """The event time: as given, else the step's end or start, else when it is recorded."""
    if time is not None and time != "":
        return timestamp(time, "time")
    for name in ("ended", "started", "valid_from"):
        if isinstance(data.get(name), str):
            return str(data[name])
    return recorded
