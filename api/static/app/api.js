// Talking to the server, and what the phone remembers of it for when it is offline.

import * as db from "./db.js";

export class Offline extends Error {}

/** ``fetch`` that tells "no connection" (Offline) from an answer; JSON both ways. */
export async function call(path, { method = "GET", body, token, headers = {} } = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (token) sent.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new Offline(String(error));
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  return { status: response.status, ok: response.ok, body: answer };
}

export const device = () => db.get("meta", "device");

/** A lot as the server has it now (and kept for offline use), else as the phone kept it. */
export async function loadLot(code) {
  try {
    const answer = await call(`/lots/${encodeURIComponent(code)}?limit=500`);
    if (answer.status === 404) return null;
    if (answer.ok) {
      const kept = {
        lot: code, summary: answer.body.lot, history: answer.body.history.map(brief),
        seen: Date.now(),
      };
      await db.put("lots", kept);
      return kept;
    }
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
  }
  return (await db.get("lots", code)) ?? null;
}

export function brief(record) {
  return {
    seq: record.seq, type: record.type, time: record.time, org: record.org, key: record.key,
    hash: record.hash, data: record.data,
  };
}

/** Keep the phone's view of lots after it made records (pending until uploaded). */
export async function keepLocal(states, records, pending) {
  for (const [code, summary] of Object.entries(states)) {
    const kept = (await db.get("lots", code)) ?? { lot: code, history: [] };
    kept.summary = { ...kept.summary, ...summary };
    for (const record of records.filter((r) => r.body.chain === `lot/${code}`)) {
      kept.history = kept.history.filter((h) => h.seq < record.body.seq);
      kept.history.push({ ...brief({ ...record.body, hash: record.hash }), pending });
    }
    kept.seen = Date.now();
    await db.put("lots", kept);
  }
}
