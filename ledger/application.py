"""The application service: one method per use case, shared by the CLI and the HTTP API.

Every record, whoever signs it, passes the same steps before it is stored:
validate its data (``ledger.domain.steps``), seal private values, build canonical bytes,
check the domain rules (``Lot.check``), sign (or check the client's signature), and commit
the whole use case as one unit (``ledger.persistence.work``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from ledger.domain.fields import identifier, list_of, lot_code, text, timestamp
from ledger.domain.gtins import GTIN_LENGTH, assigned_gtins, overlaps, parse_registration
from ledger.domain.lot import Lot
from ledger.domain.organisation import ROLES, KeyLimits, Organisation
from ledger.domain.steps import (
    COLLECT,
    PRIVATE_STEPS,
    parse_corrected_values,
    parse_record_data,
)
from ledger.domain.transformations import plan_collection, plan_grading
from ledger.errors import AlreadyExists, InvalidInput, LedgerError, LotNotFound, NotPermitted
from ledger.keys.signing import RecordSigner, SigningKey
from ledger.keys.vault import Vault
from ledger.persistence.idempotency import Claim, forget_fingerprints
from ledger.persistence.projections import LotIndex, LotQuery
from ledger.persistence.store import EventStore
from ledger.persistence.work import Receipt, UnitOfWork
from ledger.private.values import Sealed, erase_private, read_private, seal
from ledger.recording.records import build_record
from ledger.recording.submission import (
    ClientSignatures,
    commands_of,
    parse_submission,
    require_same,
    verify_signatures,
)
from verify.errors import BadSignature
from verify.keys import encode_public_key, key_id, verify_key_possession
from verify.records import ZERO_HASH, Record

__all__ = ["Ledger", "Receipt", "SignedRecord"]

GENESIS_STEPS = frozenset({"Harvested"})
ROLE = identifier


@dataclass(frozen=True)
class SignedRecord:
    record: Record
    signature: bytes


class Ledger:
    """The ledger's use cases over one store."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.store = EventStore(self.settings)
        self.vault = Vault(self.store.engine, self.settings.master_key)
        self.lot_index = LotIndex(self.store, self.lot)

    def close(self) -> None:
        self.store.close()

    # -- organisations and keys --------------------------------------------------------

    def register_organisation(self, org_id: str, *, name: str, roles: Sequence[str],
                              contact: str | None = None,
                              region: str | None = None) -> list[Receipt]:
        """Register an organisation with a new server-held key (its first record)."""
        org_id = identifier(org_id, "org")
        data: dict[str, Any] = {"name": text(120)(name, "name"), "roles": _roles(roles)}
        if contact:
            data["contact"] = text(80)(contact, "contact")
        if region:
            data["region"] = text(120)(region, "region")
        work = UnitOfWork(self.store)
        work.require_new(f"org/{org_id}", "org")
        private_key = SigningKey.generate()
        public = private_key.public_key
        data["public_key"] = encode_public_key(public)
        moment = work.recorded
        record = build_record(chain=f"org/{org_id}", seq=0, prev=ZERO_HASH, links=(),
                              step="OrganisationRegistered", data=data, org=org_id,
                              key=key_id(public), time=moment, recorded=moment)
        work.start(Organisation, record, private_key)
        return self._commit_with_key(work, org_id, key_id(public), private_key)

    def add_key(self, org_id: str, public_key: bytes | None = None,
                possession: bytes | None = None) -> list[Receipt]:
        """Add a key: a client-held one (``public_key``, with ``possession``, its signature
        over ``verify.keys.key_possession_message``) or a new server-held one."""
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        private_key = None
        data: dict[str, Any] = {}
        if public_key is None:
            if possession is not None:
                raise InvalidInput("goes with public_key; a key the server makes needs no "
                                   "proof", field="possession")
            private_key = SigningKey.generate()
            public_key = private_key.public_key
        elif len(public_key) != 32:
            raise InvalidInput("must be a 32-byte Ed25519 public key", field="public_key")
        if key_id(public_key) in org.active_keys or key_id(public_key) in org.revoked_keys:
            raise InvalidInput("this key was registered before", field="public_key")
        data["public_key"] = encode_public_key(public_key)
        if private_key is None:
            proof = _possession(org.org_id, public_key, possession)
            data["possession"] = base64.b64encode(proof).decode("ascii")
        org.check_new_key(self._key_limits, work.recorded, replacing=False)
        self._append_org(work, org, "KeyAdded", data)
        if private_key is None:
            return work.commit()
        return self._commit_with_key(work, org_id, key_id(public_key), private_key)

    def rotate_key(self, org_id: str) -> list[Receipt]:
        """Replace the signing key the server holds with a new one; the old one is revoked."""
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        org.check_new_key(self._key_limits, work.recorded, replacing=True)
        private_key = SigningKey.generate()
        public = private_key.public_key
        self._append_org(work, org, "KeyRotated", {"public_key": encode_public_key(public)})
        return self._commit_with_key(work, org_id, key_id(public), private_key)

    def revoke_key(self, org_id: str, revoked: str, reason: str) -> list[Receipt]:
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        org.check_revocation(revoked)
        data = {"key_id": revoked, "reason": text(500)(reason, "reason")}
        self._append_org(work, org, "KeyRevoked", data, avoid=revoked)
        return work.commit()

    def register_prefix(self, org_id: str, *, prefix: str | None = None,
                        gtin: str | None = None) -> list[Receipt]:
        """Record that ``org_id`` holds a GS1 Company Prefix (or one GTIN), so it may assign
        GTINs under it. An administrator's act, after checking the GS1 licence; refused when
        it overlaps another registration of any organisation."""
        request = {name: value for name, value in (("prefix", prefix), ("gtin", gtin))
                   if value is not None}
        registration = parse_registration(request)
        field = "gtin" if gtin is not None else "prefix"
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        for first in self.chains("org"):
            holder = work.organisation(first.subject)
            taken = next((r for r in holder.registrations if overlaps(r, registration)), None)
            if taken is not None:
                raise AlreadyExists(f"{registration} overlaps {taken}, registered to "
                                    f"{holder.org_id}", field=field)
        kind = "gtin" if len(registration) == GTIN_LENGTH else "prefix"
        self._append_org(work, org, "PrefixRegistered", {kind: registration})
        return work.commit()

    def organisation(self, org_id: str) -> Organisation:
        return UnitOfWork(self.store).organisation(org_id)

    @property
    def _key_limits(self) -> KeyLimits:
        return KeyLimits(self.settings.max_active_keys, self.settings.max_new_keys_per_day)

    def _append_org(self, work: UnitOfWork, org: Organisation, step: str,
                    data: dict[str, Any], avoid: str | None = None) -> None:
        signer, private_key = self._server_key(org, avoid=avoid)
        moment = work.recorded
        record = build_record(chain=org.chain_name, seq=org.next_seq, prev=org.head, links=(),
                              step=step, data=data, org=org.org_id, key=signer, time=moment,
                              recorded=moment)
        work.extend(org, record, private_key)

    def _commit_with_key(self, work: UnitOfWork, org_id: str, new_key: str,
                         private_key: SigningKey) -> list[Receipt]:
        self.vault.store(org_id, new_key, private_key)
        try:
            return work.commit()
        except BaseException:
            self.vault.forget(new_key)
            raise

    def _signer(self, work: UnitOfWork, org: Organisation) -> tuple[str, RecordSigner]:
        """The server-held key ``org`` signs with in this unit of work (chosen once)."""
        chosen = work.signers.get(org.org_id)
        if chosen is None:
            chosen = work.signers[org.org_id] = self._server_key(org)
        return chosen

    def _server_key(self, org: Organisation,
                    avoid: str | None = None) -> tuple[str, SigningKey]:
        """The newest active key of ``org`` that the server holds."""
        for candidate in reversed(list(org.active_keys)):
            if candidate == avoid:
                continue
            try:
                return candidate, self.vault.signing_key(org.org_id, candidate)
            except NotPermitted:
                continue
        raise NotPermitted(f"the server holds no active key of {org.org_id}; sign records "
                           "yourself and submit them", field="key")

    # -- recording ---------------------------------------------------------------------

    def submit_signed(self, entries: Sequence[tuple[bytes, bytes]], *,
                      claim: Claim | None = None) -> list[Receipt]:
        """Store client-signed records, all or nothing, if and only if they are exactly the
        records the ledger derives for the same steps (``ledger.recording.submission``). ``claim``:
        the
        idempotency key the records are stored under (``ledger.persistence.idempotency``), as
        below."""
        records = parse_submission(entries)
        signer = ClientSignatures({r.hash: sig for r, (_, sig) in zip(records, entries,
                                                                      strict=True)})
        work = UnitOfWork(self.store, recorded=records[0].recorded)
        keys: dict[str, Mapping[str, str]] = {}
        for command in commands_of(records):
            try:
                org = work.organisation(command.org)
                org.require_key(command.key)
                keys[org.org_id] = org.active_keys
                work.signers[org.org_id] = (command.key, signer)
                self._record_into(work, command.org, command.step, command.data,
                                  lot=command.lot, time=command.time)
            except LedgerError as error:
                error.locate(f"records[{command.index}]")
                raise
        require_same(records, work.appended)
        verify_signatures(records, [sig for _, sig in entries], keys)
        return work.commit(claim)

    def record(self, org_id: str, step: str, data: Mapping[str, Any], *,
               lot: str | None = None, time: Any = None,
               claim: Claim | None = None) -> list[Receipt]:
        """Record one step for ``org_id``: the whole use case, saved at once, with what it
        recorded under the idempotency ``claim`` if one is given (``RequestTakenOver`` if the
        claim lost its key)."""
        work = UnitOfWork(self.store)
        self._record_into(work, org_id, step, data, lot=lot, time=time)
        return work.commit(claim)

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
                self._record_into(work, org_id, str(entry.get("step", "")),
                                  entry.get("data") or {}, lot=entry.get("lot"),
                                  time=entry.get("time"))
            except LedgerError as error:
                error.locate(f"entries[{i}]")
                raise
        return work.commit(claim)

    def _record_into(self, work: UnitOfWork, org_id: str, step: str,
                     data: Mapping[str, Any], *, lot: str | None, time: Any) -> None:
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
            moment = _when(time, parsed, work.recorded)
            self._append(work, actor, target, step, parsed, moment)

    def _harvest(self, work: UnitOfWork, actor: Organisation, code: str,
                 data: Mapping[str, Any], time: Any) -> None:
        work.require_new(f"lot/{code}", "lot")
        parsed = parse_record_data("Harvested", data, genesis=True)
        if parsed["ended"] < parsed["started"]:
            raise InvalidInput("must not be before data.started", field="data.ended")
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
        for descendant in _walk(work, lot.code, _children)[1:]:
            if not descendant.recalled:
                self._append(work, actor, descendant, "Recalled", cascade, moment, (order,))

    def _correct(self, work: UnitOfWork, actor: Organisation, lot: Lot,
                 data: Mapping[str, Any], time: Any) -> None:
        """Correct an earlier record of ``lot``: the values must fit that record's fields,
        and private ones are sealed as the original's were."""
        parsed = parse_record_data("Corrected", data, genesis=False)
        corrected = lot.corrected_record(parsed["corrects"], self._earlier_record(lot))
        parsed["values"] = parse_corrected_values(corrected.type, parsed["values"],
                                                  genesis=corrected.seq == 0)
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
        work.start(Lot, record, private_key)
        work.keep_private(sealed, record.chain)
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
        lot.check(record, actor.actor, self._earlier_record(lot))
        work.extend(lot, record, private_key)
        work.keep_private(sealed, record.chain)
        return record.hash

    def _earlier_record(self, lot: Lot) -> Callable[[str], Record | None]:
        def find(digest: str) -> Record | None:
            for signed in self.history(lot.chain_name):
                if signed.record.hash_hex == digest:
                    return signed.record
            return None
        return find

    # -- reading -----------------------------------------------------------------------

    def lot(self, code: str) -> Lot:
        return UnitOfWork(self.store).lot(lot_code(code, "lot"))

    def history(self, chain: str) -> list[SignedRecord]:
        """Every record of ``chain`` (``lot/<code>`` or ``org/<id>``), in chain order."""
        return [SignedRecord(event.parsed(), event.signature)
                for event in self.store.chain_events(chain)]

    def lot_history(self, code: str) -> list[SignedRecord]:
        records = self.history(f"lot/{lot_code(code, 'lot')}")
        if not records:
            raise LotNotFound(f"lot {code} is not registered", field="lot")
        return records

    def trace_back(self, code: str) -> list[Lot]:
        """The lot and every ancestor lot, nearest first."""
        return _walk(UnitOfWork(self.store), lot_code(code, "lot"), _parents)

    def trace_forward(self, code: str) -> list[Lot]:
        """The lot and every descendant lot, nearest first."""
        return _walk(UnitOfWork(self.store), lot_code(code, "lot"), _children)

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


def _parents(lot: Lot) -> list[str]:
    return lot.parents


def _children(lot: Lot) -> list[str]:
    return lot.children


def _walk(work: UnitOfWork, code: str, step: Callable[[Lot], list[str]]) -> list[Lot]:
    """``code``'s lot and every lot reachable by ``step``, breadth first, each once."""
    found: list[Lot] = []
    pending, seen = [code], set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        lot = work.lot(current)
        found.append(lot)
        pending.extend(step(lot))
    return found


def _check_gtins(actor: Organisation, step: str, data: Mapping[str, Any]) -> None:
    """Every GTIN the step assigns must be under a registration of the recording
    organisation: nobody packs under another's GS1 company prefix, nor under none."""
    for field, value in assigned_gtins(step, data):
        actor.require_gtin(value, field)


def _possession(org: str, public_key: bytes, signature: bytes | None) -> bytes:
    """The new key's proof of possession, checked (``verify.keys``)."""
    if signature is None:
        raise InvalidInput("is required with public_key: the new key's Ed25519 signature over "
                           f"agritrace/key-possession/v1, {org} and the key id (docs/records.md)",
                           field="possession")
    try:
        verify_key_possession(public_key, org, signature)
    except BadSignature as error:
        raise InvalidInput(f"{error.reason}; sign it with the private key of public_key",
                           field="possession") from error
    return signature


def _roles(roles: Sequence[str]) -> list[str]:
    checked = list_of(ROLE, minimum=1, maximum=len(ROLES))(list(roles), "roles")
    unknown = sorted(set(checked) - ROLES)
    if unknown:
        raise InvalidInput(f"unknown role {unknown[0]}; one of {', '.join(sorted(ROLES))}",
                           field="roles")
    return sorted(set(checked))


def _when(time: Any, data: Mapping[str, Any], recorded: str) -> str:
    """The event time: as given, else the step's end or start, else when it is recorded."""
    if time is not None and time != "":
        return timestamp(time, "time")
    for name in ("ended", "started", "valid_from"):
        if isinstance(data.get(name), str):
            return str(data[name])
    return recorded
