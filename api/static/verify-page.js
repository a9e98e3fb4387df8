// The plain verification page (verify.html): fetch a bundle and the log's key named in the
// query string, verify in this browser, and show the verdict in Chinese and English.
//
// ?bundle=URL&log_key=VKEY (or log_key_url=URL) [&witness=VKEY ...] [&min_witnesses=K]
// [&since_url=URL] [&crypto=auto|webcrypto|noble]

import { describeFailure, STEPS, verifyBundle, VerificationError } from "./verify.js";

const params = new URLSearchParams(location.search);
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

function showResult(result) {
  show("valid", "✓ 已在本机验证 Verified on this device");
  const table = $("facts");
  row(table, "批次", "Lot", result.lot);
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
    const logKey = params.get("log_key") ?? (await fetchText(params.get("log_key_url"), "log key"));
    const sinceUrl = params.get("since_url");
    const options = {
      logKeys: [logKey.trim()],
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
    showResult(result);
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
