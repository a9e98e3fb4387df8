// The verifier's one error family, named as in Python's verify/errors.py, so both verifiers
// report the same class for the same bundle.
//
// VerificationError            something does not verify (exit 1)
//  ├─ MalformedInput           input could not be parsed or has the wrong shape (exit 2)
//  ├─ NotCanonical             record bytes are not their RFC 8785 canonical form
//  ├─ HashMismatch             a record's hash is not SHA-256 of its bytes
//  ├─ ChainBroken              a record does not continue its chain
//  ├─ LinkBroken               a record links to a record missing from the bundle
//  ├─ BadSignature             an Ed25519 signature does not verify
//  ├─ UnknownKey               signed by a key unknown, revoked or not its organisation's
//  ├─ ProofInvalid             a Merkle proof is malformed or does not verify
//  │   └─ RootMismatch         the calculated root differs from the expected one
//  ├─ NoteInvalid              a signed note or checkpoint lacks a required valid signature
//  └─ ChainIncomplete          a chain in the bundle stops short of its head at the checkpoint

export class VerificationError extends Error {
  constructor(reason, { record = null, step = null } = {}) {
    super(record ? `${reason} (record ${record})` : reason);
    this.reason = reason;
    this.record = record;
    this.step = step;
  }

  get name() {
    return this.constructor.name;
  }

  /** The same error with ``reason`` prefixed, or a step or record filled in. */
  with({ prefix = "", record, step } = {}) {
    const Kind = this.constructor;
    return new Kind(prefix + this.reason, {
      record: record === undefined ? this.record : record,
      step: step === undefined ? this.step : step,
    });
  }
}

export class MalformedInput extends VerificationError {}
export class NotCanonical extends VerificationError {}
export class HashMismatch extends VerificationError {}
export class ChainBroken extends VerificationError {}
export class LinkBroken extends VerificationError {}
export class BadSignature extends VerificationError {}
export class UnknownKey extends VerificationError {}
export class ProofInvalid extends VerificationError {}
export class RootMismatch extends ProofInvalid {}
export class NoteInvalid extends VerificationError {}
export class ChainIncomplete extends VerificationError {}
