// The lot's state, derived from verified records alone: the same JSON object as Python's
// verify/state.py derive_state, so a phone, an inspector and a platform are told one status,
// one quantity and one list of problems for one bundle, none of it taken from the server.
//
// Corrections apply: a `Corrected` record names an earlier record of its chain (`corrects`,
// followed through corrections to the original) and new `values`; the original's effective
// data is its data with the values of every correction of it merged over it, in log order.
// Decimals stay the strings the records hold and are compared exactly (verify-decimal.js).
//
// Status of a lot's chain: recalled if it holds a Recalled record; else held if the last of
// its Held and Released records is a Held; else released if it was released; else consumed
// when it was graded whole or its Collected records took at least its quantity; else active.

import { compare, parseDecimal, sum } from "./verify-decimal.js";

const TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)$/;

/** "2026-11-30T06:05:00Z" for POSIX seconds. */
export function rfc3339(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Microseconds since the epoch (BigInt) of an RFC 3339 time, or null. */
export function instant(text) {
  const found = typeof text === "string" ? TIME.exec(text) : null;
  if (found === null) return null;
  const [, y, mo, d, h, mi, s, fraction = "", zone] = found;
  const days = Date.UTC(Number(y), Number(mo) - 1, Number(d)) / 86400000;
  let offset = 0;
  if (zone !== "Z") offset = (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const seconds = BigInt(days) * 86400n + BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s) - offset * 60);
  return seconds * 1000000n + BigInt(fraction.padEnd(6, "0"));
}

const orNull = (value) => (value === undefined ? null : value);

function text(value) {
  return typeof value === "string" ? value : null;
}

/** The effective data of every corrected record, and the corrections as the state lists
 * them, for the records of one lot's chain in log order. */
function applyCorrections(chain) {
  const byHash = new Map(chain.map((record) => [record.hashHex, record]));
  const effective = new Map();
  const corrections = [];
  for (const record of chain) {
    if (record.type !== "Corrected") continue;
    const { corrects, reason, values } = record.data;
    let original = byHash.get(corrects);
    const seen = new Set();
    while (original?.type === "Corrected" && !seen.has(original.hashHex)) {
      seen.add(original.hashHex);
      original = byHash.get(original.data.corrects);
    }
    const usable =
      original !== undefined &&
      original.type !== "Corrected" &&
      original.seq < record.seq &&
      values !== null &&
      typeof values === "object" &&
      !Array.isArray(values);
    corrections.push({
      record: record.hashHex,
      corrects: orNull(text(corrects)),
      original: usable ? original.hashHex : null,
      fields: usable ? Object.keys(values).sort() : [],
      reason: orNull(text(reason)),
    });
    if (usable) {
      const before = effective.get(original.hashHex) ?? original.data;
      effective.set(original.hashHex, { ...before, ...values });
    }
  }
  return { dataOf: (record) => effective.get(record.hashHex) ?? record.data, corrections };
}

function quantityOf(data) {
  return parseDecimal(data.quantity);
}

/** Status, its record and reason, of one lot's chain. */
function standing(chain, dataOf) {
  const recall = chain.find((r) => r.type === "Recalled");
  if (recall) return ["recalled", recall.hashHex, orNull(text(dataOf(recall).reason))];
  const holds = chain.filter((r) => r.type === "Held" || r.type === "Released");
  const last = holds[holds.length - 1];
  if (last) {
    const status = last.type === "Held" ? "held" : "released";
    return [status, last.hashHex, orNull(text(dataOf(last).reason))];
  }
  const graded = chain.find((r) => r.seq > 0 && r.type === "Graded");
  if (graded) return ["consumed", graded.hashHex, null];
  const collected = chain.filter((r) => r.seq > 0 && r.type === "Collected");
  const taken = collected.map((r) => quantityOf(dataOf(r)));
  const quantity = quantityOf(dataOf(chain[0]));
  if (
    collected.length &&
    quantity !== null &&
    taken.every((q) => q !== null) &&
    compare(sum(taken), quantity) >= 0
  ) {
    return ["consumed", collected[collected.length - 1].hashHex, null];
  }
  return ["active", null, null];
}

function certificateValid(data, at) {
  const from = instant(data.valid_from);
  const until = data.valid_until === undefined ? null : instant(data.valid_until);
  if (at === null || from === null || (data.valid_until !== undefined && until === null))
    return false;
  return from <= at && (until === null || at <= until);
}

function between(temp, low, high) {
  const value = parseDecimal(temp);
  if (value === null) return true;
  const min = low === null ? null : parseDecimal(low);
  const max = high === null ? null : parseDecimal(high);
  return !((min !== null && compare(value, min) < 0) || (max !== null && compare(value, max) > 0));
}

/** The lot's state from verified ``records`` (parsed, in log order, every chain of the
 * bundle), for lot code ``lot``, as of ``asOf`` {origin, size, time, witness_times,
 * complete}. */
export function deriveState(records, lot, asOf) {
  const chains = new Map();
  for (const record of records) {
    if (record.kind !== "lot") continue;
    if (!chains.has(record.chain)) chains.set(record.chain, []);
    chains.get(record.chain).push(record);
  }
  const corrected = new Map([...chains].map(([name, chain]) => [name, applyCorrections(chain)]));
  const dataOf = (record) => corrected.get(record.chain)?.dataOf(record) ?? record.data;
  const own = chains.get(`lot/${lot}`) ?? [];
  const genesis = own[0];
  const start = genesis ? dataOf(genesis) : {};
  const product = start.product ?? {};
  const [status, statusRecord, statusReason] = standing(own, dataOf);
  const flagged = [];
  for (const [name, chain] of [...chains].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (name === `lot/${lot}`) continue;
    const [s, record, reason] = standing(chain, dataOf);
    if (s === "held" || s === "recalled")
      flagged.push({ lot: name.slice(4), status: s, record, reason });
  }
  const family = records.filter((r) => r.kind === "lot");
  const packs = own.filter((r) => r.type === "Packed");
  let gtin = orNull(text(product.gtin));
  let grade = orNull(text(start.grade));
  for (const record of packs) {
    const data = dataOf(record);
    gtin = orNull(text(data.gtin)) ?? gtin;
    if (data.grade !== undefined) grade = orNull(text(data.grade));
  }
  const received = own.filter((r) => r.type === "Received");
  const at =
    asOf.time !== null ? instant(asOf.time) : null;
  const excursions = [];
  let range = null;
  for (const record of family) {
    const data = dataOf(record);
    if (record.type === "Stored") {
      range = [orNull(text(data.target_min_c)), orNull(text(data.target_max_c))];
      for (const reading of Array.isArray(data.readings) ? data.readings : []) {
        if (!between(reading.temp_c, ...range))
          excursions.push({
            record: record.hashHex,
            at: orNull(text(reading.at)),
            temp_c: orNull(text(reading.temp_c)),
            target_min_c: range[0],
            target_max_c: range[1],
          });
      }
    } else if ((record.type === "Shipped" || record.type === "Received") && range !== null) {
      if (data.temp_c !== undefined && !between(data.temp_c, ...range))
        excursions.push({
          record: record.hashHex,
          at: record.time,
          temp_c: orNull(text(data.temp_c)),
          target_min_c: range[0],
          target_max_c: range[1],
        });
    }
  }
  return {
    lot,
    status,
    status_record: statusRecord,
    status_reason: statusReason,
    flagged_ancestors: flagged,
    product: {
      name: orNull(text(product.name)),
      variety: orNull(text(product.variety)),
      gtin: orNull(text(product.gtin)),
    },
    grade,
    gtin,
    quantity: orNull(text(start.quantity)),
    unit: orNull(text(start.unit)),
    packed: packs.map((record) => {
      const data = dataOf(record);
      return {
        record: record.hashHex,
        units: orNull(data.units),
        net_weight_per_unit: orNull(text(data.net_weight_per_unit)),
        net_weight_unit: orNull(text(data.net_weight_unit)),
        gtin: orNull(text(data.gtin)),
        best_before: orNull(text(data.best_before)),
      };
    }),
    origin: start.origin ?? {},
    producer: genesis ? genesis.org : null,
    custodian: received.length ? received[received.length - 1].org : genesis ? genesis.org : null,
    certificates: family
      .filter((r) => r.type === "Certified")
      .map((record) => {
        const data = dataOf(record);
        return {
          record: record.hashHex,
          scheme: orNull(text(data.scheme)),
          number: orNull(text(data.number)),
          issuer: orNull(text(data.issuer)),
          valid_from: orNull(text(data.valid_from)),
          valid_until: orNull(text(data.valid_until)),
          valid: certificateValid(data, at ?? instant(record.time)),
        };
      }),
    inspections: family
      .filter((r) => r.type === "Inspected")
      .map((record) => {
        const data = dataOf(record);
        return {
          record: record.hashHex,
          kind: orNull(text(data.kind)),
          verdict: orNull(text(data.verdict)),
          lab: orNull(text(data.lab)),
          report: orNull(text(data.report)),
          time: record.time,
          results: Array.isArray(data.results) ? data.results : [],
        };
      }),
    excursions,
    below_protective_price: family
      .filter((r) => r.seq === 0 && r.type === "Collected")
      .flatMap((record) =>
        (Array.isArray(dataOf(record).purchases) ? dataOf(record).purchases : [])
          .filter((p) => {
            const [paid, floor] = [parseDecimal(p.price_per_kg), parseDecimal(p.protective_price_per_kg)];
            return paid !== null && floor !== null && compare(paid, floor) < 0;
          })
          .map((p) => ({
            record: record.hashHex,
            lot: orNull(text(p.lot)),
            price_per_kg: p.price_per_kg,
            protective_price_per_kg: p.protective_price_per_kg,
          })),
      ),
    corrections: [...chains.values()].flatMap((chain) => corrected.get(chain[0].chain).corrections),
    as_of: {
      origin: asOf.origin,
      size: asOf.size,
      time: asOf.time,
      witness_times: asOf.witness_times,
      complete: asOf.complete,
    },
  };
}
