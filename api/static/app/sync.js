// The upload queue. Every record is signed on the phone the moment it is saved and queued in
// IndexedDB; the queue is uploaded in order (POST /records/signed), now if online, else when
// the connection returns. It stops at the first record the server does not take:
// - a conflict (409 with the chain's head: someone else recorded on the lot first) waits for
//   the clerk to re-base it on the new head (re-derived and re-signed) or drop it;
// - a refusal (a field the server rejects, a revoked device) stays, with the reason, until
//   the clerk drops it; the queue can be exported as JSON at any time.
// Nothing is dropped without the clerk asking.

import { Offline, brief, call, keepLocal } from "./api.js";
import * as db from "./db.js";
import { applyRecords, deriveRecords, formatTime, signRecords } from "./derive.js";

const listeners = new Set();
export const onChange = (listener) => listeners.add(listener);
const changed = () => listeners.forEach((listener) => listener());

function randomKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** The lots a command reads (whose state it chains on). */
export function lotsRead(command) {
  if (command.step === "Harvested") return [];
  if (command.step === "Collected") return [...new Set(command.data.purchases.map((p) => p.lot))];
  return [command.lot];
}

async function knownLots(codes) {
  const lots = {};
  for (const code of codes) {
    const kept = await db.get("lots", code);
    if (kept?.summary) lots[code] = kept.summary;
  }
  return lots;
}

async function build(device, command, lots) {
  const derived = await deriveRecords(command, lots, {
    org: device.org, key: device.keyId, recorded: formatTime(new Date()),
  });
  return signRecords(device, derived);
}

/** Derive, sign and queue a step; the phone's view of the lots moves on at once. */
export async function enqueue(device, command, openings = []) {
  const lots = await knownLots(lotsRead(command));
  const records = await build(device, command, lots);
  const item = {
    created: Date.now(), command, openings, records, state: "waiting", key: randomKey(),
  };
  item.id = await db.put("queue", item);
  await keepLocal(applyRecords(lots, records), records, true);
  changed();
  return item;
}

export const queued = async () => (await db.all("queue")).sort((a, b) => a.id - b.id);

/** The record of the step itself among those it made (a collection's new lot, a graded lot). */
export function mainRecord(item) {
  return item.records.find((r) => r.body.chain === `lot/${item.command.lot}`) ?? item.records[0];
}

let running = null;

/** Upload waiting records in order; resolves to the items uploaded. */
export function flush() {
  running ??= upload().finally(() => (running = null));
  return running;
}

async function upload() {
  const device = await db.get("meta", "device");
  const uploaded = [];
  if (!device) return uploaded;
  for (const item of await queued()) {
    if (item.state !== "waiting") break;
    let answer;
    try {
      answer = await call("/records/signed?wait=true", {
        method: "POST", token: device.token, headers: { "Idempotency-Key": item.key },
        body: {
          records: item.records.map(({ record, signature }) => ({ record, signature })),
          private: item.openings,
        },
      });
    } catch (error) {
      if (error instanceof Offline) break;
      throw error;
    }
    if (answer.status === 201) {
      const main = mainRecord(item);
      const receipt = answer.body.records.find((r) => r.hash === main.hash) ?? answer.body.records[0];
      item.result = {
        hash: receipt.hash, leaf_index: receipt.leaf_index, key: device.keyId,
        warnings: (answer.body.warnings ?? []).map((w) => w.message),
      };
      await db.remove("queue", item.id);
      await markUploaded(item);
      await db.put("meta", item.result, `result-${item.id}`);
      uploaded.push(item);
      changed();
      continue;
    }
    const error = answer.body ?? {};
    if (answer.status === 409 && error.head) {
      item.state = "conflict";
      item.conflict = { chain: error.chain, head: error.head };
    } else {
      item.state = "refused";
    }
    item.error = { status: answer.status, field: error.field ?? null, reason: refusal(answer) };
    await db.put("queue", item);
    changed();
    break;
  }
  return uploaded;
}

function refusal(answer) {
  const reason = answer.body?.reason ?? `HTTP ${answer.status}`;
  if (answer.status === 401) {
    return `此设备的令牌已失效（设备可能已被撤销），记录保留在本机，可导出。 This device's token is no longer valid (the device may have been revoked); its records are kept on this phone for export. (${reason})`;
  }
  if (answer.status === 403 && /revoked/.test(reason)) {
    return `此设备的密钥已被撤销，记录保留在本机，可导出。 This device's key was revoked; its records are kept on this phone for export. (${reason})`;
  }
  return reason;
}

async function markUploaded(item) {
  for (const record of item.records) {
    const code = record.body.chain.slice(4);
    const kept = await db.get("lots", code);
    if (!kept) continue;
    kept.history = kept.history.map((h) => (h.hash === record.hash ? { ...h, pending: false } : h));
    await db.put("lots", kept);
  }
}

/** Re-derive and re-sign ``id`` and every record queued after it on the lots' current heads
 * (fetched from the server), as a re-base after a conflict or a drop needs. */
export async function rebuildFrom(id) {
  const device = await db.get("meta", "device");
  const items = (await queued()).filter((item) => item.id >= id);
  const codes = new Set(items.flatMap((item) => lotsRead(item.command)));
  let lots = {};
  for (const code of codes) {
    const answer = await call(`/lots/${encodeURIComponent(code)}?limit=500`);
    if (answer.ok) {
      lots[code] = answer.body.lot;
      await db.put("lots", {
        lot: code, summary: answer.body.lot, history: answer.body.history.map(brief), seen: Date.now(),
      });
    }
  }
  for (const item of items) {
    try {
      item.records = await build(device, item.command, lots);
      lots = applyRecords(lots, item.records);
      item.state = "waiting";
      item.key = randomKey();
      delete item.error;
      delete item.conflict;
      await keepLocal(lots, item.records, true);
    } catch (error) {
      item.state = "refused";
      item.error = { status: 0, field: error.field ?? null, reason: error.reason ?? String(error) };
    }
    await db.put("queue", item);
  }
  changed();
}

/** Remove a record the clerk is fixing in its form (nothing after it depends on it). */
export async function forget(id) {
  await db.remove("queue", id);
  changed();
}

export async function drop(id) {
  await db.remove("queue", id);
  const later = (await queued()).filter((item) => item.id > id);
  if (later.length) await rebuildFrom(later[0].id);
  changed();
}

/** The queue as a JSON file the clerk can keep (records, signatures and openings). */
export async function exportQueue() {
  const device = await db.get("meta", "device");
  const items = await queued();
  return JSON.stringify({
    org: device?.org, key: device?.keyId, exported: new Date().toISOString(),
    items: items.map(({ id, created, command, records, openings, state, error }) => ({
      id, created, command, state, error, openings,
      records: records.map(({ record, signature, hash }) => ({ record, signature, hash })),
    })),
  }, null, 1);
}
