// A lot: its state and history, the next steps, and its labels and certificate.

import { showLot } from "./lotview.js";
import { $ } from "./ui.js";

export async function start() {
  const code = new URLSearchParams(location.search).get("code")?.trim() ?? "";
  await showLot(code);
  const lot = encodeURIComponent(code);
  document.querySelectorAll("#steps a[data-step]").forEach((link) => {
    link.href = `/app/step/${link.dataset.step}?lot=${lot}`;
  });
  $("print-labels").href = `/lots/${lot}/labels.pdf`;
  $("print-certificate").href = `/lots/${lot}/certificate`;
}
