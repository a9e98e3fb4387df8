"""The service's verdict key: a C2SP signed-note Ed25519 key that signs platform verdicts,
configured like the log key (``ledger.log.logkey``), and published in the log.

Where the key comes from, first match wins:

1. ``AGRITRACE_VERDICT_KEY``: the private key string ``PRIVATE+KEY+<name>+<hexid>+<base64>``;
2. ``AGRITRACE_VERDICT_KEY_FILE``: a file holding it;
3. for SQLite, ``<db file>.verdict-key`` beside the database; for PostgreSQL
   ``~/.agritrace/verdict-key``.

A missing key file is created on first use (mode 0600), named ``<log origin>/verdicts``.

**Published in the log.** ``publish_verdict_key`` registers an organisation
``verdicts-<key id>`` (the record key id of the verdict key's public key, 16 hex digits)
whose ``OrganisationRegistered`` record carries the verdict key's Ed25519 public key and is
signed by it, as every registration is signed by the key it registers. The server keeps no
copy in its key vault: nothing else is ever signed for that organisation, so its chain stays
one record long, and a new verdict key is a new organisation. Anyone holding the chain with
its inclusion and head proofs (``verify.keyproof``) can check that the key signing a verdict
is in the log. Registering twice (two workers starting at once) is harmless: the second
finds the chain taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ledger.application import Ledger
from ledger.config import Settings
from ledger.domain.organisation import Organisation
from ledger.errors import ChainConflict
from ledger.keys.notekeys import configured_note_signer
from ledger.keys.signing import SigningKey
from ledger.persistence.work import UnitOfWork
from ledger.recording.records import build_record
from verify.keys import encode_public_key, key_id
from verify.notes import Note, Signature, Signer, Verifier, check_note_text
from verify.records import ZERO_HASH

__all__ = ["ORG_PREFIX", "VerdictKey", "load_verdict_key", "publish_verdict_key"]

ORG_PREFIX = "verdicts-"
NAME = "核验结论签发 agritrace verdict service"


@dataclass(frozen=True)
class VerdictKey:
    """The signer of verdict notes, and the organisation that publishes it in the log."""

    signer: Signer

    @property
    def name(self) -> str:
        return self.signer.name

    @cached_property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    @cached_property
    def vkey(self) -> str:
        """The verifier key ``name+hexid+base64`` (GET /.well-known/agritrace/verdict-key)."""
        return self.verifier.to_vkey()

    @property
    def public_key(self) -> bytes:
        return self.verifier.public_key

    @cached_property
    def org(self) -> str:
        """The organisation whose registration record holds this key."""
        return ORG_PREFIX + key_id(self.public_key)

    @cached_property
    def _signing(self) -> SigningKey:
        return SigningKey(self.signer.seed)

    def sign(self, text: str) -> str:
        """``text`` as a signed note by this key (``verify.notes.sign_note``'s bytes, signed
        with the server's fast Ed25519 signer)."""
        check_note_text(text)
        signature = self._signing.sign(text.encode("utf-8"))
        return Note(text, (Signature(self.name, self.verifier.key_id, signature),)).to_text()


def load_verdict_key(settings: Settings, log_origin: str) -> VerdictKey:
    """The configured verdict key (module docstring); raises ``InvalidInput``."""
    return VerdictKey(configured_note_signer(settings, "verdict", f"{log_origin}/verdicts"))


def publish_verdict_key(ledger: Ledger, key: VerdictKey) -> bool:
    """Register the verdict key's organisation unless it is registered; True when this call
    recorded it."""
    work = UnitOfWork(ledger.store)
    chain = f"org/{key.org}"
    if work.exists(chain):
        return False
    signing = SigningKey(key.signer.seed)
    moment = work.recorded
    record = build_record(chain=chain, seq=0, prev=ZERO_HASH, links=(),
                          step="OrganisationRegistered",
                          data={"name": NAME, "roles": ["platform"],
                                "public_key": encode_public_key(signing.public_key)},
                          org=key.org, key=key_id(signing.public_key), time=moment,
                          recorded=moment)
    work.start(Organisation, record, signing)
    try:
        work.commit()
    except ChainConflict:
        return False  # another process registered it a moment ago
    return True
