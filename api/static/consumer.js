// The verification panel of the consumer page (api/templates/_verify.html): fetch the lot's
// proof bundle, verify it in this browser with verify.js against the log key the page names,
// and only then say it was verified on this phone, with the checkpoint size and witnesses.
// Each timeline step whose record is in the verified bundle is then marked as checked.
//
// States (on the panel's data-state and body's data-verification): pending, manual (the
// phone asks to save data: verification waits for a tap), verified, failed (the bundle does
// not verify: do not trust the page), unavailable (no bundle could be fetched).

import { hex } from "./verify-bytes.js";
import { parseBundle } from "./verify-bundle.js";
import { cryptoProvider, describeFailure, STEPS, VerificationError, verifyBundle } from "./verify.js";

const panel = document.getElementById("verify");

function show(state) {
  panel.dataset.state = state;
  document.body.dataset.verification = state;
  for (const part of panel.querySelectorAll("[data-show]")) part.hidden = part.dataset.show !== state;
}

function fill(name, value) {
  for (const field of document.querySelectorAll(`[data-field="${name}"]`)) field.textContent = value;
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
    window.agritraceVerification = result;
    fill("records", String(result.records));
    fill("size", String(result.checkpoint.size));
    const none = panel.querySelector('[data-field="witnesses"]').dataset.empty;
    fill("witnesses", result.witnesses.join(", ") || none);
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
