// The lot's state, derived from verified records alone: a port of Python's verify/state.py
// derive_state (docs/state.md), rule for rule, so the browser and agritrace-verify return the
// same object, key for key, for the same bundle, and a phone need not take the lot's status
// from the server.
//
// In short (verify/state.py has every rule in words): the effective data of a record is its
// data with the values of every Corrected record that resolves to it merged in, in log order;
// the status of a lot's chain is recalled (a Recalled record), else held (the last of its
// Held/Released), else consumed (graded whole, or collected from up to its quantity), else
// released, else active; a correction applies when made by the original's organisation or
// an inspector; ancestors are the lots reached through links; the history is the lot's chain
// and its ancestors' chains up to the records linked from it. A text is a JSON string, a
// decimal a text -?[0-9]+(.[0-9]+)? compared exactly (verify-decimal.js, never a float), a
// time "YYYY-MM-DDTHH:MM:SS[.f]Z" compared in whole seconds. Values are returned as recorded.

import { compare, parseDecimal, sum } from "./verify-decimal.js";
import { ChainBroken } from "./verify-errors.js";
import { parseUtc } from "./verify-freshness.js";

export const STATUSES = ["active", "held", "released", "recalled", "consumed"];
const HASH_HEX = /^[0-9a-f]{64}$/;

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function text(value) {
  return typeof value === "string" ? value : null;
}

function decimal(value) {
  return typeof value === "string" ? parseDecimal(value) : null;
}

/** Python's sorted() of texts: by code point (JavaScript's sort() compares UTF-16 units). */
function sortedTexts(texts) {
  const points = (t) => Array.from(t, (c) => c.codePointAt(0));
  return [...texts].sort((a, b) => {
    const [x, y] = [points(a), points(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

/** A deep copy of JSON ``value`` (no structuredClone: older in-app browsers lack it). */
function copy(value) {
  return JSON.parse(JSON.stringify(value));
}

/** A deep copy of ``value`` when ``accept(value)``, else null: the state shares nothing
 * with the records it comes from. */
function copyOf(value, accept) {
  return accept(value) ? copy(value) : null;
}

/** The given records by chain and hash, with corrections applied. */
class Records {
  constructor(records) {
    this.records = records;
    this.byHash = new Map(records.map((r) => [r.hashHex, r]));
    this.chains = new Map();
    for (const record of records) {
      if (!this.chains.has(record.chain)) this.chains.set(record.chain, []);
      this.chains.get(record.chain).push(record);
    }
    for (const chain of this.chains.values()) chain.sort((a, b) => a.seq - b.seq);
    this.values = new Map();
    this.originals = new Map(); // correction -> its original, once resolved
    this.corrections = [];
    this.inspectors = new Set(
      records
        .filter(
          (r) =>
            r.type === "OrganisationRegistered" &&
            r.kind === "org" &&
            Array.isArray(r.data.roles) &&
            r.data.roles.includes("inspector"),
        )
        .map((r) => r.subject),
    );
    for (const record of records) {
      if (record.type === "Corrected" && record.kind === "lot") this.correct(record);
    }
  }

  correct(correction) {
    const original = this.originalOf(correction);
    this.originals.set(correction.hashHex, original);
    const values = correction.data.values;
    if (original === null || !isObject(values)) return;
    // Only the original's organisation, or an inspector, corrects a record.
    if (correction.org !== original.org && !this.inspectors.has(correction.org)) return;
    if (!this.values.has(original.hashHex)) this.values.set(original.hashHex, []);
    this.values.get(original.hashHex).push(values);
    this.corrections.push({
      record: correction.hashHex,
      corrects: correction.data.corrects,
      original: original.hashHex,
      fields: sortedTexts(Object.keys(values)),
      reason: text(correction.data.reason),
    });
  }

  /** The first record that is not a correction, following ``corrects`` back through earlier
   * records of the same chain; null when a step leads nowhere. */
  originalOf(correction) {
    let record = correction;
    while (record.type === "Corrected") {
      if (record !== correction && this.originals.has(record.hashHex))
        return this.originals.get(record.hashHex); // a correction resolved before
      const named = record.data.corrects;
      if (typeof named !== "string" || !HASH_HEX.test(named)) return null;
      const target = this.byHash.get(named);
      if (target === undefined || target.chain !== record.chain || target.seq >= record.seq)
        return null;
      record = target;
    }
    return record;
  }

  /** The record's data with its corrections' values merged in, later ones winning. */
  effective(record) {
    const merged = { ...record.data };
    for (const values of this.values.get(record.hashHex) ?? []) {
      // Own data properties, as a dict's update(): a key "__proto__" stays a key.
      for (const key of Object.keys(values))
        Object.defineProperty(merged, key, {
          value: values[key],
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return merged;
  }

  /** The lot's chain and, through links, its ancestors' chains up to the linked records, in
   * log order. */
  history(own) {
    const reach = new Map([[own[0].chain, own[own.length - 1].seq]]);
    const pending = [...own];
    while (pending.length) {
      for (const link of pending.pop().links) {
        const target = this.byHash.get(link);
        if (target === undefined || target.kind !== "lot") continue;
        const reached = reach.get(target.chain) ?? -1;
        if (target.seq > reached) {
          reach.set(target.chain, target.seq);
          for (const r of this.chains.get(target.chain))
            if (reached < r.seq && r.seq <= target.seq) pending.push(r);
        }
      }
    }
    return this.records.filter((r) => r.seq <= (reach.get(r.chain) ?? -1));
  }

  /** Chains of the lots reached from ``chain`` through links, ``chain`` excluded, sorted. */
  ancestors(chain) {
    const reached = new Set([chain]);
    const pending = [chain];
    while (pending.length) {
      for (const record of this.chains.get(pending.pop()) ?? []) {
        for (const link of record.links) {
          const target = this.byHash.get(link);
          if (target !== undefined && target.kind === "lot" && !reached.has(target.chain)) {
            reached.add(target.chain);
            pending.push(target.chain);
          }
        }
      }
    }
    reached.delete(chain);
    return [...reached].sort();
  }
}

/** Status, the record it rests on, and that record's reason. */
function statusOf(chain, found) {
  const recalls = chain.filter((r) => r.type === "Recalled");
  if (recalls.length)
    return ["recalled", recalls[0], text(found.effective(recalls[0]).reason)];
  const holds = chain.filter((r) => r.type === "Held" || r.type === "Released");
  const last = holds[holds.length - 1];
  if (last?.type === "Held") return ["held", last, text(found.effective(last).reason)];
  const consumed = consumedBy(chain, found);
  if (consumed !== null) return ["consumed", consumed, null];
  if (last) return ["released", last, text(found.effective(last).reason)];
  return ["active", null, null];
}

/** The record that used the lot up: its grading, or the collection that took the last of
 * it; null while some of it is left. */
function consumedBy(chain, found) {
  const graded = chain.filter((r) => r.type === "Graded" && r.seq > 0);
  if (graded.length) return graded[0];
  const taken = chain.filter((r) => r.type === "Collected" && r.seq > 0);
  const quantity = decimal(found.effective(chain[0]).quantity);
  if (taken.length && quantity !== null) {
    const amounts = taken
      .map((r) => decimal(found.effective(r).quantity))
      .filter((a) => a !== null);
    if (compare(sum(amounts), quantity) >= 0) return taken[taken.length - 1];
  }
  return null;
}

function flaggedAncestors(found, chain) {
  const flagged = [];
  for (const ancestor of found.ancestors(chain)) {
    const [status, record, reason] = statusOf(found.chains.get(ancestor), found);
    if ((status === "held" || status === "recalled") && record !== null)
      flagged.push({
        lot: ancestor.slice(ancestor.indexOf("/") + 1),
        status,
        record: record.hashHex,
        reason,
      });
  }
  return flagged;
}

/** The text under ``key`` in the last of ``records`` that has one, else ``fallback``. */
function lastText(found, records, key, fallback) {
  for (const record of [...records].reverse()) {
    const value = text(found.effective(record)[key]);
    if (value !== null) return value;
  }
  return fallback;
}

function packing(record, data) {
  return {
    record: record.hashHex,
    units: Number.isInteger(data.units) ? data.units : null,
    net_weight_per_unit: text(data.net_weight_per_unit),
    net_weight_unit: text(data.net_weight_unit),
    gtin: text(data.gtin),
    best_before: text(data.best_before),
  };
}

function certificate(record, data, moment) {
  const [validFrom, validUntil] = [text(data.valid_from), text(data.valid_until)];
  const [start, end] = [parseUtc(validFrom), parseUtc(validUntil)];
  const valid =
    moment !== null &&
    start !== null &&
    start <= moment &&
    (validUntil === null || (end !== null && moment <= end));
  return {
    record: record.hashHex,
    scheme: text(data.scheme),
    number: text(data.number),
    issuer: text(data.issuer),
    valid_from: validFrom,
    valid_until: validUntil,
    valid,
  };
}

function inspection(record, data) {
  return {
    record: record.hashHex,
    kind: text(data.kind),
    verdict: text(data.verdict),
    lab: text(data.lab),
    report: text(data.report),
    time: record.time,
    results: copyOf(data.results, Array.isArray) ?? [],
  };
}

function outside(temp, [low, high]) {
  const [value, min, max] = [decimal(temp), decimal(low), decimal(high)];
  if (value === null) return false;
  return (min !== null && compare(value, min) < 0) || (max !== null && compare(value, max) > 0);
}

/** Temperatures of the history outside a cold store's target range. */
function excursionsOf(history, found) {
  const ranges = new Map();
  const excursions = [];
  const judge = (record, at, temp) => {
    const band = ranges.get(record.chain);
    if (band !== undefined && outside(temp, band)) {
      excursions.push({
        record: record.hashHex,
        at,
        temp_c: temp,
        target_min_c: band[0],
        target_max_c: band[1],
      });
    }
  };
  for (const record of history) {
    const data = found.effective(record);
    if (record.type === "Stored") {
      ranges.set(record.chain, [text(data.target_min_c), text(data.target_max_c)]);
      const readings = Array.isArray(data.readings) ? data.readings : [];
      for (const reading of readings) {
        if (isObject(reading)) judge(record, text(reading.at), reading.temp_c);
      }
      if (!readings.length) for (const key of ["min_c", "max_c"]) judge(record, null, data[key]);
    } else if (record.type === "Shipped" || record.type === "Received") {
      judge(record, record.time, data.temp_c);
    }
  }
  return excursions;
}

function belowProtectivePrice(history, found) {
  const below = [];
  for (const record of history) {
    if (record.type !== "Collected" || record.seq !== 0) continue;
    const purchases = found.effective(record).purchases;
    for (const purchase of Array.isArray(purchases) ? purchases : []) {
      if (!isObject(purchase)) continue;
      const price = text(purchase.price_per_kg);
      const protective = text(purchase.protective_price_per_kg);
      const [paid, floor] = [decimal(price), decimal(protective)];
      if (paid !== null && floor !== null && compare(paid, floor) < 0) {
        below.push({
          record: record.hashHex,
          lot: text(purchase.lot),
          price_per_kg: price,
          protective_price_per_kg: protective,
        });
      }
    }
  }
  return below;
}

function latestRecorded(records) {
  const times = records.map((r) => parseUtc(r.recorded)).filter((t) => t !== null);
  return times.length ? Math.max(...times) : null;
}

/** The state of ``lot`` from verified ``records`` (parsed, in log order, every chain of the
 * bundle), as of ``asOf`` ({origin, size, time, witness_times, complete}, as
 * verify-freshness.js writes it). Throws ChainBroken when no record of the lot is given. */
export function deriveState(records, lot, asOf) {
  const found = new Records(records);
  const own = found.chains.get(`lot/${lot}`);
  if (!own) throw new ChainBroken(`the records hold no record of lot ${lot}`);
  const history = found.history(own);
  const first = found.effective(own[0]);
  const [status, statusRecord, reason] = statusOf(own, found);
  const product = isObject(first.product) ? first.product : {};
  const packed = own.filter((r) => r.type === "Packed");
  const moment = asOf.time !== null ? parseUtc(asOf.time) : latestRecorded(records);
  const inHistory = new Set(history.map((r) => r.hashHex));
  const received = own.filter((r) => r.type === "Received");
  return {
    lot,
    status,
    status_record: statusRecord === null ? null : statusRecord.hashHex,
    status_reason: reason,
    flagged_ancestors: flaggedAncestors(found, own[0].chain),
    product: {
      name: text(product.name),
      variety: text(product.variety),
      gtin: text(product.gtin),
    },
    grade: lastText(found, packed, "grade", text(first.grade)),
    gtin: lastText(found, packed, "gtin", text(product.gtin)),
    quantity: text(first.quantity),
    unit: text(first.unit),
    packed: packed.map((r) => packing(r, found.effective(r))),
    origin: copyOf(first.origin, isObject),
    producer: own[0].org,
    custodian: received.length ? received[received.length - 1].org : own[0].org,
    certificates: own
      .filter((r) => r.type === "Certified")
      .map((r) => certificate(r, found.effective(r), moment)),
    inspections: history
      .filter((r) => r.type === "Inspected")
      .map((r) => inspection(r, found.effective(r))),
    excursions: excursionsOf(history, found),
    below_protective_price: belowProtectivePrice(history, found),
    corrections: found.corrections.filter((c) => inHistory.has(c.original)),
    as_of: copy(asOf),
  };
}
