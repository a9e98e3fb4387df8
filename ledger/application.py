"""The application service: one method per use case, shared by the CLI and the HTTP API.

A thin façade: recording a step goes through the recording pipeline
(``ledger.recording.pipeline``: validate, seal, build, check, sign) into one unit of work
committed at once (``ledger.persistence.work``); organisations' chains are written by
``ledger.recording.organisations``; reading goes to the store, the lot index and the
access and private-value tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from ledger.access.tokens import (
    Grant,
    IssuedToken,
    authenticate,
    issue_token,
    list_token_events,
    list_tokens,
    local_operator,
    revoke_token,
)
from ledger.config import Settings
from ledger.domain.fields import identifier, lot_code
from ledger.domain.lineage import lineage
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from ledger.errors import InvalidInput, LedgerError, LotNotFound
from ledger.keys.vault import Vault
from ledger.persistence.idempotency import Claim, forget_fingerprints
from ledger.persistence.projections import LotIndex, LotQuery
from ledger.persistence.store import EventStore, SignedRecord
from ledger.persistence.work import Receipt, UnitOfWork
from ledger.private.openings import Opening, check_openings
from ledger.private.values import erase_private, read_private
from ledger.recording.organisations import OrganisationRecords
from ledger.recording.pipeline import Pipeline
from ledger.recording.submission import (
    parse_submission,
    readable,
    require_fresh_heads,
    require_submitter,
)
from verify.records import Record

__all__ = ["Ledger", "Receipt", "SignedRecord"]


class Ledger:
    """The ledger's use cases over one store."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.store = EventStore(self.settings)
        self.vault = Vault(self.store.engine, self.settings.master_key)
        self.lot_index = LotIndex(self.store, self.lot)
        self.pipeline = Pipeline(self.store, self.vault)
        self.organisations = OrganisationRecords(self.store, self.vault, self.settings)

    def close(self) -> None:
        self.store.close()

    # -- organisations and keys --------------------------------------------------------

    def register_organisation(self, org_id: str, *, name: str, roles: Sequence[str],
                              contact: str | None = None,
                              region: str | None = None) -> list[Receipt]:
        """Register an organisation with a new server-held key (its first record)."""
        return self.organisations.register(org_id, name=name, roles=roles, contact=contact,
                                           region=region)

    def add_key(self, org_id: str, public_key: bytes | None = None,
                possession: bytes | None = None) -> list[Receipt]:
        """Add a key: a client-held one (``public_key``, with ``possession``, its signature
        over ``verify.keys.key_possession_message``) or a new server-held one."""
        return self.organisations.add_key(org_id, public_key, possession)

    def rotate_key(self, org_id: str) -> list[Receipt]:
        """Replace the signing key the server holds with a new one; the old one is revoked."""
        return self.organisations.rotate_key(org_id)

    def revoke_key(self, org_id: str, revoked: str, reason: str) -> list[Receipt]:
        return self.organisations.revoke_key(org_id, revoked, reason)

    def register_prefix(self, org_id: str, *, prefix: str | None = None,
                        gtin: str | None = None) -> list[Receipt]:
        """Record that ``org_id`` holds a GS1 Company Prefix (or one GTIN), so it may assign
        GTINs under it; refused when it overlaps another registration."""
        return self.organisations.register_prefix(org_id, prefix=prefix, gtin=gtin)

    def organisation(self, org_id: str) -> Organisation:
        return UnitOfWork(self.store).organisation(org_id)

    # -- recording ---------------------------------------------------------------------

    def record(self, org_id: str, step: str, data: Mapping[str, Any], *,
               lot: str | None = None, time: Any = None,
               claim: Claim | None = None) -> list[Receipt]:
        """Record one step for ``org_id``: the whole use case, saved at once, with what it
        recorded under the idempotency ``claim`` if one is given (``RequestTakenOver`` if the
        claim lost its key)."""
        work = UnitOfWork(self.store)
        self.pipeline.record(work, org_id, step, data, lot=lot, time=time)
        return work.commit(claim)

    def record_step(self, org_id: str, step: str, lot: str, data: Mapping[str, Any], *,
                    time: Any = None, claim: Claim | None = None) -> list[Receipt]:
        """Record ``step`` on ``lot`` with ``data`` as a step's own request gives them: a
        collection's ``lot`` is the new lot it makes. An error names the field as ``data``
        holds it (``quantity``, not ``data.quantity``; a collection's new lot is ``lot``).
        ``claim``: as for ``record``."""
        target: str | None = lot
        if step == "Collected":
            data, target = {"into": lot, **data}, None
        try:
            return self.record(org_id, step, data, lot=target, time=time, claim=claim)
        except LedgerError as error:
            if error.field and error.field.startswith("data."):
                field = error.field.removeprefix("data.")
                error.relocate("lot" if field == "into" else field)
            raise

    def record_batch(self, org_id: str, entries: Iterable[Mapping[str, Any]], *,
                     claim: Claim | None = None) -> list[Receipt]:
        """Record many steps all-or-nothing. Each entry: ``step``, ``lot``, ``data``,
        optional ``time``. An error names the entry: ``entries[3].data.quantity``.
        ``claim``: as for ``record``."""
        work = UnitOfWork(self.store)
        for i, entry in enumerate(entries):
            try:
                if not isinstance(entry, Mapping):
                    raise InvalidInput("must be an object with step, lot and data", field="")
                self.pipeline.record(work, org_id, str(entry.get("step", "")),
                                     entry.get("data") or {}, lot=entry.get("lot"),
                                     time=entry.get("time"))
            except LedgerError as error:
                error.locate(f"entries[{i}]")
                raise
        return work.commit(claim)

    def submit_signed(self, entries: Sequence[tuple[bytes, bytes]], *, org: str | None = None,
                      claim: Claim | None = None,
                      openings: Sequence[Opening] = ()) -> list[Receipt]:
        """Store client-signed records, all or nothing, if and only if they are exactly the
        records the ledger derives for the same steps (``ledger.recording.submission``).
        ``org``: the organisation the submitter acts for, whose records they must all be. A
        record continuing a lot's chain another writer has since extended is a
        ``ChainConflict`` with the chain's head. ``openings``: the private values the client
        sealed itself, kept if each opens a commitment of the submitted records
        (``ledger.private.openings``). ``claim``: as for ``record``."""
        if org is not None:
            require_submitter(readable(entries), org)
        require_fresh_heads(readable(entries), self.lot)
        records = parse_submission(entries)
        work = UnitOfWork(self.store, recorded=records[0].recorded)
        self.pipeline.replay(work, records, [signature for _, signature in entries])
        for sealed, chain in check_openings(records, openings):
            work.keep_private([sealed], chain)
        return work.commit(claim)

    # -- reading -----------------------------------------------------------------------

    def lot(self, code: str) -> Lot:
        return UnitOfWork(self.store).lot(lot_code(code, "lot"))

    def history(self, chain: str) -> list[SignedRecord]:
        """Every record of ``chain`` (``lot/<code>`` or ``org/<id>``), in chain order."""
        return self.store.chain_records(chain)

    def lot_history(self, code: str) -> list[SignedRecord]:
        records = self.history(f"lot/{lot_code(code, 'lot')}")
        if not records:
            raise LotNotFound(f"lot {code} is not registered", field="lot")
        return records

    def trace_back(self, code: str) -> list[Lot]:
        """The lot and every ancestor lot, nearest first."""
        return lineage(lot_code(code, "lot"), UnitOfWork(self.store).lot, forward=False)

    def trace_forward(self, code: str) -> list[Lot]:
        """The lot and every descendant lot, nearest first."""
        return lineage(lot_code(code, "lot"), UnitOfWork(self.store).lot, forward=True)

    def search_lots(self, query: LotQuery) -> list[dict[str, Any]]:
        """Lots by product, origin county, organisation, status and start date."""
        return self.lot_index.search(query)

    # -- access ------------------------------------------------------------------------

    def issue_token(self, org_id: str | None, *, label: str = "",
                    lifetime: timedelta | None = None, by: str | None = None) -> IssuedToken:
        """A token acting for ``org_id``, or an admin token when ``org_id`` is None. ``by``
        says who issues it (default: this local process's user), for the token events."""
        roles: list[str] = []
        if org_id is not None:
            roles = sorted(self.organisation(identifier(org_id, "org")).roles)
        return issue_token(self.store.engine, org_id=org_id, admin=org_id is None,
                           label=label or (org_id or "admin"), lifetime=lifetime,
                           roles=roles, by=by or local_operator())

    def authenticate(self, presented: str | None) -> Grant:
        return authenticate(self.store.engine, presented)

    def revoke_token(self, token_id: str, *, by: str | None = None) -> None:
        """Revoke a token; ``by`` says who (default: this local process's user)."""
        revoke_token(self.store.engine, token_id, by=by or local_operator(),
                     roles_of=lambda org: sorted(self.organisation(org).roles))

    def token_events(self, org_id: str | None = None, *, after: int = 0,
                     limit: int = 100) -> list[dict[str, Any]]:
        """Every issuance and revocation of a token, oldest first (never a secret)."""
        return list_token_events(self.store.engine, org_id=org_id, after=after, limit=limit)

    def tokens(self, org_id: str | None = None) -> list[dict[str, object]]:
        """Tokens (never their secrets), newest first; only ``org_id``'s when given."""
        return list_tokens(self.store.engine, org_id)

    # -- private data ------------------------------------------------------------------

    def private_values(self, chain: str) -> dict[str, Any]:
        """The private values behind a chain's commitments that are not erased."""
        return read_private(self.store.engine, chain)

    def erase_private(self, commitment: str) -> bool:
        """Erase a private value; its record and every chain stay valid. The fingerprints of
        the idempotent requests that may have carried it go first."""
        forget_fingerprints(self.store.engine, commitment)
        return erase_private(self.store.engine, commitment)

    def chains(self, kind: str) -> list[Record]:
        """The first record of every ``lot`` or ``org`` chain, in log order."""
        return [record for record in self.store.first_records() if record.chain_kind == kind]
