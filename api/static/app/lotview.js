// A lot's state and history above every form (from the server, or as this phone kept it).

import { loadLot } from "./api.js";
import { $, STEP_WORDS, element, localMinute } from "./ui.js";

const STATUS = {
  active: "在库 active", "in-transit": "运输中 in transit", held: "扣留 held",
  consumed: "已用完 used up", recalled: "已召回 recalled",
};

export async function showLot(code) {
  const kept = code ? await loadLot(code) : null;
  if (!kept?.summary) {
    const missing = $("lot-missing");
    missing.hidden = false;
    missing.textContent = code
      ? `找不到批次 ${code}（离线时只能看到本机见过的批次）No lot ${code} (offline, only lots this phone has seen)`
      : "没有选批次 No lot chosen: open one from the home page";
    return null;
  }
  const s = kept.summary;
  $("lot").hidden = false;
  $("lot-code").textContent = code;
  const facts = [
    ["产品 Product", [s.product?.name, s.product?.variety].filter(Boolean).join(" · ")],
    ["剩余 Remaining", `${s.remaining} / ${s.quantity} ${s.unit}`],
    ["状态 Status", STATUS[s.status] ?? s.status],
    ["保管方 Custodian", s.custodian],
    ["产地 Origin", [s.origin?.province, s.origin?.city, s.origin?.county, s.origin?.village].filter(Boolean).join(" ")],
  ];
  if (s.gtin) facts.push(["GTIN", s.gtin]);
  $("lot-state").replaceChildren(...facts.flatMap(([term, value]) => [
    element("dt", { text: term }), element("dd", { text: value ?? "" }),
  ]));
  $("lot-count").textContent = String(kept.history.length);
  $("lot-history").replaceChildren(...kept.history.map((h) => element("li", { "data-hash": h.hash },
    `${h.seq}. ${STEP_WORDS[h.type] ?? h.type} · ${localMinute(h.time)} · ${h.org} `,
    h.pending ? element("span", { class: "state-waiting", text: "待上传 waiting to upload" }) : "",
  )));
  return kept;
}
