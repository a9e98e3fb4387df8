// The consumer page's verification (api/templates/_verify.html): fetch the lot's proof bundle,
// verify it in this browser with verify.js against the log key the page names, and then let
// the verified records speak: the lot's standing (the recall or hold banner and what to do),
// its status and quantities come from the state verify.js derived from them, not from the
// server's HTML; where the two disagree, the page says so and shows the verified state. The
// panel says in plain words when the log last vouched for the records, and who witnessed it.
// Each timeline step whose record is in the verified bundle is marked as checked.
//
// States (on the panel's data-state and body's data-verification): pending, manual (the
// phone asks to save data: verification waits for a tap), verified, failed (the bundle does
// not verify: do not trust the page), unavailable (no bundle could be fetched). A verified
// panel's data-standing is ok, recalled or held: "genuine records, and they say recalled" is
// never shown as a green all-clear.

import { hex } from "./verify-bytes.js";
import { parseBundle } from "./verify-bundle.js";
import { compare, parseDecimal } from "./verify-decimal.js";
import {
  cryptoProvider,
  describeFailure,
  STEPS,
  VerificationError,
  verifyBundle,
} from "./verify.js";

const panel = document.getElementById("verify");
const DAY = 24 * 60 * 60;
const CHINA = 8 * 60 * 60 * 1000; // record times are UTC; people here read UTC+8

function show(state) {
  panel.dataset.state = state;
  document.body.dataset.verification = state;
  for (const part of panel.querySelectorAll("[data-show]"))
    part.hidden = part.dataset.show !== state;
}

function fill(name, value, root = document) {
  for (const field of root.querySelectorAll(`[data-field="${name}"]`)) field.textContent = value;
}

function reveal(root, selector, visible) {
  for (const part of root.querySelectorAll(selector)) part.hidden = !visible;
}

/** "2026-11-30 14:05" in China time, as the server writes record times. */
function chinaMinute(iso) {
  return new Date(Date.parse(iso) + CHINA).toISOString().slice(0, 16).replace("T", " ");
}

function cloneTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

async function markChecked(bytes, result) {
  const provider = await cryptoProvider(result.crypto);
  const hashes = new Set();
  for (const item of parseBundle(bytes).records) hashes.add(hex(await provider.sha256(item.raw)));
  let checked = 0;
  for (const step of document.querySelectorAll("#timeline [data-record]")) {
    const mark = step.querySelector('[data-field="checked"]');
    if (hashes.has(step.dataset.record) && mark) {
      mark.hidden = false;
      checked += 1;
    }
  }
  return checked;
}

/** The standing the verified state gives the lot: recalled or held (the lot or one it came
 * from) with the records that say so, the lots it came from first, or ok with the lot's own
 * status. */
function standingOf(state) {
  const own = { lot: state.lot, record: state.status_record, reason: state.status_reason };
  for (const kind of ["recalled", "held"]) {
    const flagged = [
      ...state.flagged_ancestors
        .filter((a) => a.status === kind)
        .map((a) => ({ ...a, own: false })),
      ...(state.status === kind ? [{ ...own, own: true }] : []),
    ];
    if (flagged.length) return { kind, status: kind, flagged };
  }
  return { kind: "ok", status: state.status, flagged: [] };
}

/** The standing banner, rebuilt from the verified state: one entry per distinct recorded
 * reason, so a recall cascaded to this lot shows once, as the order on the lot it came from
 * (the cascade repeats the order's reason). */
function showStanding(standing) {
  const place = document.getElementById("standing");
  place.textContent = "";
  place.dataset.source = "verified";
  if (standing.kind === "ok") return;
  const banner = cloneTemplate(`banner-${standing.kind}`);
  const list = banner.querySelector(".reasons");
  const seen = new Set();
  for (const item of standing.flagged) {
    const reason = item.reason ?? "";
    if (seen.has(reason)) continue;
    seen.add(reason);
    const entry = cloneTemplate(item.own ? "reason-own" : "reason-ancestor");
    if (item.record) entry.dataset.record = item.record;
    fill("reason", reason, entry);
    fill("lot", item.lot, entry);
    list.append(entry);
  }
  place.append(banner);
}

// The server says in-transit where the records say active or released; the same standing.
const SAME = { "in-transit": "active", released: "active" };
const SEVERITY = { held: 1, recalled: 2 };

function setAmount(field, amount, unit) {
  field.querySelector('[data-part="amount"]').textContent = amount;
  if (unit !== field.dataset.unit) field.querySelector('[data-part="unit"]').textContent = unit;
}

/** Put the verified status (unless ``standing`` is null) and quantities on the page; returns
 * what the server's HTML said otherwise (status, quantity, net_weight), each shown in the
 * disagreement notice. */
function applyState(state, standing) {
  const differences = [];
  const status = document.querySelector('[data-field="status"]');
  const server = status.dataset.status;
  if (standing && (SAME[server] ?? server) !== (SAME[standing.status] ?? standing.status)) {
    differences.push("status");
    const word = document
      .getElementById("status-words")
      .content.querySelector(`[data-status="${standing.status}"]`);
    status.textContent = "";
    status.append(...word.cloneNode(true).childNodes);
    status.dataset.status = standing.status;
    reveal(document, `[data-disagree="status"][data-verified="${standing.status}"]`, true);
  }
  const amounts = [["quantity", state.quantity, state.unit, "verified-quantity"]];
  const packed = state.packed[state.packed.length - 1];
  if (packed) {
    const { net_weight_per_unit: amount, net_weight_unit: unit } = packed;
    amounts.push(["net_weight", amount, unit, "verified-net-weight"]);
  }
  for (const [name, amount, unit, slot] of amounts) {
    const field = document.querySelector(`[data-field="${name}"]`);
    if (!field || amount === null) continue;
    const [shown, verified] = [parseDecimal(field.dataset.amount), parseDecimal(amount)];
    const same =
      shown !== null &&
      verified !== null &&
      compare(shown, verified) === 0 &&
      field.dataset.unit === unit;
    if (same) continue;
    differences.push(name);
    setAmount(field, amount, unit);
    const unitWord = field.querySelector('[data-part="unit"]').textContent;
    fill(slot, `${amount} ${unitWord}`);
    reveal(document, `[data-disagree="${name}"]`, true);
  }
  document.getElementById("disagreement").hidden = differences.length === 0;
  return differences;
}

/** "Checked as of" the log's signed time (else the latest witness's), a warning when that is
 * more than a day ago, and who witnessed it. */
function showFreshness(result) {
  const { freshness } = result;
  const known = freshness.latest !== null;
  if (known) fill("as-of", chinaMinute(result.state.as_of.time ?? freshness.latest));
  const stale = known && freshness.age_seconds > DAY;
  reveal(panel, '[data-when="known"]', known);
  reveal(panel, '[data-when="unknown"]', !known);
  reveal(panel, '[data-when="stale"]', stale);
  panel.dataset.fresh = !known ? "unknown" : stale ? "stale" : "fresh";
  fill("witnesses", result.witnesses.join(", "));
  reveal(panel, "[data-witnessed]", result.witnesses.length > 0);
  fill("records", String(result.records));
  reveal(panel, '[data-complete="yes"]', result.complete);
  reveal(panel, '[data-complete="no"]', !result.complete);
}

async function verify() {
  show("pending");
  try {
    const response = await fetch(panel.dataset.bundle, { cache: "no-store" });
    if (!response.ok) {
      fill("reason", `HTTP ${response.status}`);
      show("unavailable");
      return;
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const witnesses = (panel.dataset.witnesses || "").split(" ").filter(Boolean);
    const result = await verifyBundle(bytes, { logKeys: [panel.dataset.logKey], witnesses });
    if (result.lot !== panel.dataset.lot) {
      throw new Error(`the bundle is for lot ${result.lot}, not ${panel.dataset.lot}`);
    }
    result.checked = await markChecked(bytes, result);
    const standing = standingOf(result.state);
    // The records never lift a recall or hold the server reports. A bundle that cannot prove
    // it holds every record (version 1) cannot show that the warning's record is not there;
    // a complete one is complete only as of its checkpoint, and the server may already hold
    // a newer hold or recall. Either way the warning stays, and the panel says why. A server
    // that reports less than the records (the case that matters) is overruled.
    const server = document.body.dataset.status;
    const warned = (SEVERITY[server] ?? 0) > (SEVERITY[standing.status] ?? 0);
    const kept = warned ? (result.complete ? "newer" : "unproven") : null;
    if (!kept) showStanding(standing);
    result.disagreements = applyState(result.state, kept ? null : standing);
    if (!kept) document.body.dataset.status = standing.status;
    panel.dataset.standing = kept ?? standing.kind;
    reveal(panel, "[data-standing]", false);
    reveal(panel, `[data-standing="${panel.dataset.standing}"]`, true);
    showFreshness(result);
    window.agritraceVerification = result;
    show("verified");
  } catch (error) {
    if (error instanceof VerificationError) {
      const failure = describeFailure(error);
      window.agritraceVerification = failure;
      const [chinese, english] = STEPS[failure.step];
      fill("reason", `${failure.step} ${chinese} ${english}: ${failure.reason}`);
      show("failed");
      return;
    }
    window.agritraceVerification = { valid: false, reason: String(error?.message ?? error) };
    fill("reason", window.agritraceVerification.reason);
    show(error instanceof TypeError ? "unavailable" : "failed");
  }
}

if (navigator.connection?.saveData) {
  show("manual");
  document.getElementById("verify-start").addEventListener("click", verify, { once: true });
} else {
  verify();
}
