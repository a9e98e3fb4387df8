// The plain verification page (verify.html): fetch a bundle, verify it in this browser against
// this service's own log key (from /log/key), and show the verdict in Chinese and English.
//
// ?bundle=URL [&log_key=VKEY | &log_key_url=URL] [&witness=VKEY ...] [&min_witnesses=K]
// [&since_url=URL] [&crypto=auto|webcrypto|noble]
//
// A log key named in the query that is not this service's is someone else's log: a bundle
// that verifies against it proves only that whoever holds that key signed it. The page then
// says in large type whose key it is and that it is not this service's, and never shows the
// verified look (state "foreign", not "valid").

import { describeFailure, STEPS, verifyBundle, VerificationError } from "./verify.js";

const params = new URLSearchParams(location.search);
const STATUS = {
  active: ["正常", "active"],
  held: ["暂扣待查", "on hold"],
  released: ["已解除暂扣", "released from hold"],
  recalled: ["已召回", "recalled"],
  consumed: ["已分级或合并", "used up by grading or merging"],
};
const $ = (id) => document.getElementById(id);

function row(table, chinese, english, value) {
  const tr = table.insertRow();
  const th = document.createElement("th");
  th.textContent = `${chinese} ${english}`;
  tr.append(th);
  tr.insertCell().textContent = value;
}

function show(state, title) {
  document.body.dataset.state = state;
  $("status").textContent = title;
  $("status").className = state;
  $("form").hidden = true;
  $("details").hidden = false;
}

async function fetchBytes(url, what) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchText(url, what) {
  return new TextDecoder().decode(await fetchBytes(url, what));
}

const SERVICE_KEY_URL = "/log/key";

/** This service's log key, or null when it cannot be fetched. */
async function serviceKey() {
  try {
    return (await fetchText(SERVICE_KEY_URL, "this service's log key")).trim();
  } catch {
    return null;
  }
}

/** The name in a verifier key ``name+hexid+base64`` (names hold no "+"). */
function keyName(vkey) {
  return vkey.split("+", 1)[0];
}

function warnForeignKey(vkey, ownKnown) {
  document.body.dataset.key = "foreign";
  $("foreign-name").textContent = keyName(vkey) || "?";
  $("foreign-unconfirmed").hidden = ownKnown;
  $("foreign-other").hidden = !ownKnown;
  $("foreign").hidden = false;
}

function showResult(result, foreign) {
  if (foreign) {
    show("foreign", "⚠ 仅据他人的公钥核验，本服务不为其担保 Checked only against another " +
      "party's key — this service does not vouch for it");
  } else {
    show("valid", "✓ 已在本机验证 Verified on this device");
  }
  const table = $("facts");
  const { state } = result;
  row(table, "批次", "Lot", result.lot);
  row(table, "记录所示状态", "Status the records give", STATUS[state.status].join(" "));
  if (state.status_reason !== null) row(table, "原因", "Reason", state.status_reason);
  for (const flagged of state.flagged_ancestors) {
    const words = STATUS[flagged.status].join(" ");
    row(table, "来源批次", "Source lot", `${flagged.lot}: ${words} — ${flagged.reason ?? ""}`);
  }
  if (state.quantity !== null)
    row(table, "数量", "Quantity", `${state.quantity} ${state.unit ?? ""}`);
  row(
    table,
    "完整性",
    "Completeness",
    result.complete
      ? "日志证明没有遗漏记录 the log proves no record was left out"
      : result.warnings.join("; "),
  );
  row(
    table,
    "截至",
    "As of",
    result.freshness.latest === null
      ? "未知 unknown"
      : `${state.as_of.time ?? result.freshness.latest} ` +
          `(${Math.floor(result.freshness.age_seconds / 3600)} 小时前 h ago)`,
  );
  row(table, "记录", "Records", String(result.records));
  row(table, "溯源批次", "Lots traced", result.lots.join(", "));
  row(table, "签名组织", "Signed by", result.organisations.join(", "));
  row(table, "检查点", "Checkpoint", `${result.checkpoint.origin} · ${result.checkpoint.size}`);
  row(table, "见证", "Witnesses", result.witnesses.join(", ") || "无 none");
  if (result.consistent_with !== null) {
    row(table, "一致", "Consistent with", `size ${result.consistent_with}`);
  }
  row(
    table,
    "密码实现",
    "Crypto",
    result.crypto === "webcrypto" ? "WebCrypto" : "noble (JavaScript)",
  );
}

function showFailure(failure) {
  const [chinese, english] = STEPS[failure.step];
  show(
    failure.exit === 2 ? "malformed" : "invalid",
    failure.exit === 2 ? "✗ 无法读取证明包 Unreadable bundle" : "✗ 验证失败 Verification failed",
  );
  const table = $("facts");
  row(table, "步骤", "Step", `${failure.step} ${chinese} ${english}`);
  row(table, "错误", "Error", failure.error);
  row(table, "原因", "Reason", failure.reason);
  if (failure.record) row(table, "首个问题记录", "First bad record", failure.record);
}

async function main() {
  const bundleUrl = params.get("bundle");
  if (!bundleUrl) {
    document.body.dataset.state = "form";
    return;
  }
  $("form").hidden = true;
  $("status").textContent = "验证中… Verifying…";
  try {
    const own = await serviceKey();
    const keyUrl = params.get("log_key_url");
    const given = params.get("log_key") || (keyUrl ? await fetchText(keyUrl, "log key") : "");
    const named = given.trim() || null; // an empty field of the form names no key
    const logKey = named ?? own;
    if (logKey === null) throw new Error(`${SERVICE_KEY_URL}: this service's log key is unavailable`);
    const foreign = named !== null && named !== own;
    if (foreign) warnForeignKey(named, own !== null);
    else document.body.dataset.key = "service";
    const sinceUrl = params.get("since_url");
    const options = {
      logKeys: [logKey],
      witnesses: params.getAll("witness"),
      minWitnesses: Number(
        params.get("min_witnesses") ?? (params.getAll("witness").length ? 1 : 0),
      ),
      since: sinceUrl
        ? { checkpoint: await fetchText(sinceUrl, "earlier checkpoint"), proof: null }
        : null,
      crypto: params.get("crypto") ?? "auto",
    };
    const result = await verifyBundle(await fetchBytes(bundleUrl, "bundle"), options);
    window.agritraceVerification = result;
    showResult(result, foreign);
  } catch (error) {
    if (!(error instanceof VerificationError)) {
      window.agritraceVerification = { valid: false, error: "FetchError", reason: String(error) };
      show("error", "✗ 无法获取证明包 Could not load the bundle");
      row($("facts"), "原因", "Reason", String(error.message ?? error));
      return;
    }
    window.agritraceVerification = describeFailure(error);
    showFailure(window.agritraceVerification);
  }
}

main();
