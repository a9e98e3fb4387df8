// The upload queue: what waits, what conflicts (with both records side by side) and what the
// server refused, with re-base, drop, upload and export.

import { call } from "./api.js";
import { drop, exportQueue, flush, mainRecord, onChange, queued, rebuildFrom } from "./sync.js";
import { $, STEP_WORDS, element, localMinute } from "./ui.js";

const STATES = {
  waiting: "待上传 waiting to upload", conflict: "冲突 conflict", refused: "被拒绝 refused",
};

async function render() {
  const items = await queued();
  const list = $("queue");
  const nodes = [];
  for (const item of items) {
    const main = mainRecord(item);
    const node = element("li", { "data-id": String(item.id), "data-state": item.state },
      element("b", { text: `${STEP_WORDS[item.command.step] ?? item.command.step} · ${item.command.lot}` }),
      ` · ${localMinute(main.body.recorded)} · `,
      element("span", { class: `state-${item.state}`, text: STATES[item.state] }),
      element("br"), element("code", { text: main.hash }));
    if (item.error) node.append(element("p", { class: "error", text: item.error.reason }));
    if (item.state === "conflict") node.append(await conflictView(item));
    else if (item.state === "refused") {
      const button = element("button", { type: "button", class: "drop", text: "放弃 Drop" });
      button.addEventListener("click", () => drop(item.id).then(render));
      node.append(button);
    }
    nodes.push(node);
  }
  list.replaceChildren(...nodes);
  if (!items.length) list.append(element("li", { class: "note", text: "没有待上传的记录 Nothing waiting" }));
}

async function conflictView(item) {
  const view = $("conflict").content.firstElementChild.cloneNode(true);
  const code = item.conflict.chain.slice(4);
  let theirs = { hash: item.conflict.head };
  try {
    const answer = await call(`/lots/${encodeURIComponent(code)}?limit=500`);
    if (answer.ok) theirs = answer.body.history.find((r) => r.hash === item.conflict.head) ?? theirs;
  } catch {
    // offline: their head's hash only
  }
  const mine = item.records.find((r) => r.body.chain === item.conflict.chain) ?? mainRecord(item);
  view.querySelector(".theirs").textContent = JSON.stringify(theirs, null, 1);
  view.querySelector(".mine").textContent = JSON.stringify({ ...mine.body, hash: mine.hash }, null, 1);
  view.querySelector(".rebase").addEventListener("click", async () => {
    await rebuildFrom(item.id);
    await flush();
    await render();
  });
  view.querySelector(".drop").addEventListener("click", async () => {
    await drop(item.id);
    await flush();
    await render();
  });
  return view;
}

export async function start() {
  onChange(() => render().catch(() => {}));
  $("sync-now").addEventListener("click", async () => {
    $("queue-message").textContent = "";
    const before = (await queued()).length;
    await flush();
    const after = await queued();
    if (after.length && after.length === before && !navigator.onLine) {
      $("queue-message").textContent = "离线，联网后再传 Offline: uploads when the connection returns";
    }
    await render();
  });
  $("export").addEventListener("click", async () => {
    const blob = new Blob([await exportQueue()], { type: "application/json" });
    const link = element("a", { href: URL.createObjectURL(blob), download: "agritrace-queue.json" });
    document.body.append(link);
    link.click();
    link.remove();
  });
  await render();
}
