"""The words of the consumer pages, in Chinese and English: ``WORDS[key] = (zh, en)``.

Step names, the details of each step, coded values and the page's own sentences. Sentences
with ``{name}`` placeholders are filled by ``api.pages`` with escaped values. A sentence
whose ``{count}`` is 1 is taken from ``<key>.one`` when there is one (English has a
singular; Chinese does not), so no page says "1 readings".
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS"]

STEPS: Mapping[str, tuple[str, str]] = {
    "Harvested": ("采收", "Harvested"),
    "Collected": ("田头集货", "Field collection"),
    "Graded": ("分等分级", "Graded"),
    "PreCooled": ("产地预冷", "Pre-cooled"),
    "Stored": ("冷藏", "Cold storage"),
    "Packed": ("分级包装", "Packed"),
    "Shipped": ("发运", "Shipped"),
    "Received": ("收货", "Received"),
    "Inspected": ("检验检测", "Inspected"),
    "Certified": ("证书", "Certified"),
    "Held": ("暂扣", "Held"),
    "Released": ("解除暂扣", "Released"),
    "Recalled": ("召回", "Recalled"),
    "Corrected": ("更正", "Corrected"),
    "ReportIssued": ("出具审核报告", "Audit report issued"),
    "PrivateDataRead": ("监管部门查阅供货信息", "Supplier data read by an inspector"),
}

FACTS: Mapping[str, tuple[str, str]] = {
    "quantity": ("数量", "Quantity"),
    "households": ("供货农户", "Households"),
    "grade": ("等级", "Grade"),
    "from": ("来自", "From"),
    "standard": ("标准", "Standard"),
    "into": ("并入批次", "Into lot"),
    "outputs": ("分级结果", "Grades"),
    "loss": ("损耗", "Loss"),
    "method": ("预冷方式", "Method"),
    "target_core_temp": ("目标中心温度", "Target core temperature"),
    "reached_core_temp": ("达到中心温度", "Core temperature reached"),
    "target_range": ("目标温度", "Target range"),
    "min_c": ("最低", "Lowest"),
    "max_c": ("最高", "Highest"),
    "mean_c": ("平均", "Mean"),
    "packaging": ("包装", "Packaging"),
    "units": ("件数", "Units"),
    "net_weight": ("净含量", "Net weight"),
    "gtin": ("商品条码", "GTIN"),
    "best_before": ("保质期至", "Best before"),
    "to": ("发往", "To"),
    "to_location": ("目的地", "Destination"),
    "carrier": ("承运", "Carrier"),
    "vehicle": ("车辆", "Vehicle"),
    "temp": ("温度", "Temperature"),
    "kind": ("类型", "Kind"),
    "verdict": ("结论", "Verdict"),
    "report": ("报告编号", "Report"),
    "scheme": ("证书类型", "Scheme"),
    "number": ("编号", "Number"),
    "issuer": ("发证单位", "Issuer"),
    "reason": ("原因", "Reason"),
    "because_of": ("源自批次", "Because of lot"),
    # What a correction names and the fields it may change.
    "corrects": ("更正的记录", "Corrects"),
    "product": ("产品", "Product"),
    "origin": ("产地", "Origin"),
    "unit": ("单位", "Unit"),
    "started": ("开始", "Started"),
    "ended": ("结束", "Ended"),
    "harvester": ("采摘人", "Harvester"),
    "household": ("农户", "Household"),
    "purchases": ("收购", "Purchases"),
    "net_weight_per_unit": ("每件净含量", "Net weight per unit"),
    "net_weight_unit": ("净含量单位", "Net weight unit"),
    "serial_last": ("末位序列号", "Last serial"),
    "target_min_c": ("目标最低温度", "Target minimum"),
    "target_max_c": ("目标最高温度", "Target maximum"),
    "waybill": ("运单号", "Waybill"),
    "basis": ("承诺依据", "Basis"),
    "contact": ("联系方式", "Contact"),
}

CODES: Mapping[str, tuple[str, str]] = {
    "pass": ("合格", "Pass"), "fail": ("不合格", "Fail"),
    "forced-air": ("差压预冷", "Forced air"), "hydro": ("冷水预冷", "Hydro-cooling"),
    "vacuum": ("真空预冷", "Vacuum"), "room": ("冷库预冷", "Room cooling"),
    "ice": ("加冰预冷", "Ice"), "other": ("其他", "Other"),
    "visual": ("感官检查", "Visual check"), "lab": ("实验室检测", "Lab test"),
    "documents": ("资料核查", "Document check"), "rapid-test": ("快速检测", "Rapid test"),
    "green-food": ("绿色食品", "Green Food"), "organic": ("有机产品", "Organic"),
    "geographical-indication": ("地理标志", "Geographical indication"),
    "gap": ("良好农业规范", "Good agricultural practice"),
    "compliance-certificate": ("承诺达标合格证", "Compliance certificate"),
    "commissioned-test": ("委托检测", "Commissioned test"), "self-test": ("自我检测", "Self test"),
    "internal-quality-control": ("内部质量控制", "Internal quality control"),
    "self-commitment": ("自我承诺", "Self commitment"),
    "active": ("正常", "Active"), "consumed": ("已分级或合并", "Used up by grading or merging"),
    "in-transit": ("运输中", "In transit"), "recalled": ("已召回", "Recalled"),
    "held": ("暂扣待查", "On hold"), "released": ("已解除暂扣", "Released from hold"),
}

# Units of a lot's quantity as the page's top line shows them (``.one``: after "1").
UNIT_WORDS: Mapping[str, tuple[str, str]] = {
    "kg": ("kg", "kg"), "g": ("g", "g"), "t": ("t", "t"), "jin": ("斤", "jin"),
    "box": ("箱", "boxes"), "box.one": ("箱", "box"), "crate": ("筐", "crates"),
    "crate.one": ("筐", "crate"), "bag": ("袋", "bags"), "bag.one": ("袋", "bag"),
    "carton": ("纸箱", "cartons"), "carton.one": ("纸箱", "carton"),
    "piece": ("个", "pieces"), "piece.one": ("个", "piece"), "pallet": ("托", "pallets"),
    "pallet.one": ("托", "pallet"),
}

PAGE: Mapping[str, tuple[str, str]] = {
    "site": ("农产品追溯", "Produce traceability"),
    "product": ("产品", "Product"),
    "variety": ("品种", "Variety"),
    "lot": ("批次", "Lot"),
    "status": ("状态", "Status"),
    "origin": ("产地", "Origin"),
    "producer": ("生产者", "Producer"),
    "custodian": ("现持有方", "Now held by"),
    "contact": ("联系方式", "Contact"),
    "serial": ("序列号", "Serial number"),
    "households_title": ("农户与保护价", "Households and the protective price"),
    "households_text": ("由 {count} 户农户供货，其中登记的脱贫户 {registered} 户。",
                        "Supplied by {count} households; registered (formerly poor) "
                        "households among them: {registered}."),
    "households_text.one": ("由 {count} 户农户供货，其中登记的脱贫户 {registered} 户。",
                            "Supplied by 1 household; registered (formerly poor) households "
                            "among them: {registered}."),
    "households_fair": ("全部按不低于保护价 {price} 元/公斤收购（最低 {lowest} 元/公斤）。",
                        "Every household was paid at or above the protective price of "
                        "{price} yuan/kg (lowest {lowest} yuan/kg)."),
    "households_unfair": ("{fair} 户按不低于保护价 {price} 元/公斤收购；其余低于保护价。",
                          "Paid at or above the protective price of {price} yuan/kg: {fair} "
                          "of {count} households; the others were paid less."),
    "households_private": ("农户身份不公开。", "Households are never named."),
    "timeline": ("全程记录", "Every step"),
    "source_lot": ("来源批次", "source lot"),
    "cold_chain": ("冷链温度", "Cold chain"),
    "no_readings": ("没有温度记录。", "No temperature readings were recorded."),
    "excursions": ("{count} 次超出目标温度", "{count} readings outside the target range"),
    "excursions.one": ("{count} 次超出目标温度", "1 reading outside the target range"),
    "no_excursions": ("全程在目标温度内", "Within the target range throughout"),
    "chart_desc.one": ("{count} 个温度读数，{first} 至 {last}。",
                       "1 temperature reading from {first} to {last}."),
    "chart_desc": ("{count} 个温度读数，{first} 至 {last}。",
                   "{count} temperature readings from {first} to {last}."),
    "chart_legend": ("浅绿色为目标温度范围，红圈为超标读数（°C）。",
                     "Green band: target range; red circle: excursion (°C)."),
    "readings_table": ("温度数据", "Readings"),
    "time": ("时间", "Time"),
    "excursion": ("超标", "Excursion"),
    "certificates": ("证书", "Certificates"),
    "valid": ("有效期", "Valid"),
    "inspections": ("检验检测", "Inspections"),
    "analyte": ("项目", "Analyte"),
    "value": ("结果", "Result"),
    "limit": ("限量", "Limit"),
    "recalled_banner": ("已召回 — 请勿食用", "Recalled — do not eat"),
    "held_banner": ("暂扣待查 — 请暂勿食用", "On hold pending inspection — do not eat yet"),
    "what_to_do": ("您该怎么做", "What to do"),
    "action_stop": ("停止食用，也不要送给别人。", "Stop eating it, and do not give it away."),
    "action_refund": ("退货退款：把产品（或包装、购物凭证）退回购买处，商家应当退款。",
                      "Return it for a refund: take it, or its package or receipt, back to "
                      "where you bought it; the seller must refund you."),
    "action_hotline": ("有疑问或商家拒绝退款，请拨打 {hotline} 市场监管投诉举报热线。",
                       "Questions, or refused a refund: call the {hotline} consumer "
                       "hotline."),
    "action_wait": ("暂停食用，等待检验结论；保留包装和购物凭证。",
                    "Do not eat it until the inspection is finished; keep the package and "
                    "the receipt."),
    "action_ask": ("有疑问请拨打 {hotline} 市场监管投诉举报热线。",
                   "Questions: call the {hotline} consumer hotline."),
    "at_a_glance": ("概要", "At a glance"),
    "alert_lot": ("批次 {lot}（{relation}）", "Lot {lot} ({relation})"),
    "this_lot": ("本批次", "this lot"),
    "ancestor_lot": ("来源批次", "a source lot"),
    "warning": ("注意", "Warning"),
    "many-scans": ("此码已被扫描 {scans} 次，远多于正常次数：标签可能被复制，产品可能是仿冒的。",
                   "This code has been scanned {scans} times, far more than a box ever is: "
                   "the label may have been copied and the product may be counterfeit."),
    "after-best-before": ("此码在保质期（{date}）之后被扫描：产品可能已过期，或标签被复制。",
                          "This code was scanned after its best-before date ({date}): the "
                          "produce may be old, or the label copied."),
    "best_before_passed": ("已过保质期", "past its best-before date"),
    "verify_title": ("本机验证", "Verify on this phone"),
    "verify_pending": ("正在本机验证签名与日志证明…", "Checking signatures and log proofs on "
                                                        "this phone…"),
    "verify_ok": ("已在本机验证", "Verified on this phone"),
    "verify_genuine_recalled": ("这些记录真实无误——它们表明此批次已召回",
                                "These records are genuine — and they say this lot is "
                                "recalled"),
    "verify_genuine_held": ("这些记录真实无误——它们表明此批次暂扣待查",
                            "These records are genuine — and they say this lot is on hold"),
    "verify_genuine_newer": ("这些记录真实无误，但截至验证时间尚未记载上面的召回或暂扣：该警示"
                             "来自服务器，可能比验证时间更新，请按警示处理。",
                             "These records are genuine, but as of their checkpoint they do not "
                             "yet hold the recall or hold warning above: it comes from the "
                             "server and may be newer than the check; heed it."),
    "verify_genuine_unproven": ("这些记录真实无误，但无法证明没有遗漏：上面的召回或暂扣"
                                "警示来自服务器，请按警示处理。",
                                "These records are genuine, but they cannot prove that none is "
                                "missing: the recall or hold warning above comes from the "
                                "server; heed it."),
    "verify_as_of": ("验证截至 {time}", "Checked as of {time}"),
    "verify_time_unknown": ("日志没有注明时间：无法判断这些记录是否最新。",
                            "The log gave no time: whether these records are up to date is "
                            "unknown."),
    "verify_stale": ("这次验证所依据的日志已超过一天没有更新：此后的召回或暂扣不会显示在这里。",
                     "The log these records were checked against is more than a day old: a "
                     "recall or hold since then would not show here."),
    "verify_witnessed": ("由{name}独立见证", "Independently witnessed by {name}"),
    "verify_records": ("签名记录逐条核对无误：{count} 条。",
                       "Signed records checked one by one: {count}."),
    "verify_complete": ("记录齐全：日志证明没有遗漏任何记录。",
                        "Complete: the log proves that no record was left out."),
    "verify_incomplete": ("这份证明包是旧格式，无法证明没有遗漏记录。",
                          "This proof bundle is of the older format: it cannot prove that no "
                          "record was left out."),
    "verify_noscript": ("在本机验证需要开启 JavaScript。也可下载证明包，用 agritrace-verify "
                        "离线核验。",
                        "Checking on this phone needs JavaScript. You can also download the "
                        "proof bundle and check it offline with agritrace-verify."),
    "disagree_title": ("服务器页面与已验证的记录不符", "The server's page disagrees with the "
                                                     "verified records"),
    "disagree_status": ("状态：页面原显示“{server}”，已验证的记录为“{verified}”。",
                        "Status: the page said “{server}”; the verified records say "
                        "“{verified}”."),
    "disagree_quantity": ("数量：页面原显示 {server}，已验证的记录为 {verified}。",
                          "Quantity: the page said {server}; the verified records say "
                          "{verified}."),
    "disagree_net_weight": ("净含量：页面原显示 {server}，已验证的记录为 {verified}。",
                            "Net weight: the page said {server}; the verified records say "
                            "{verified}."),
    "disagree_text": ("本页已改为显示已验证记录的内容。以已验证的记录为准。",
                      "The page now shows what the verified records say; they are what "
                      "counts."),
    "verify_failed": ("验证失败 — 请勿相信本页信息", "Verification failed — do not trust "
                                                      "this page"),
    "verify_unavailable": ("暂时无法验证", "Could not verify yet"),
    "verify_start": ("开始验证", "Verify now"),
    "download_bundle": ("下载证明包（离线核验）", "Download the proof bundle (check offline)"),
    "verify_note": ("验证在您的手机上完成，不需相信本网站。", "The check runs on your phone; "
                                                        "you need not trust this website."),
    "other_language": ("English", "中文"),
    "not_registered": ("未登记的编码", "This code is not registered"),
    "not_registered_text": ("追溯账本中没有这个编码，产品可能是仿冒的。请向商家核实，"
                            "或拨打 12315 投诉。",
                            "The traceability ledger holds no such code: the product may be "
                            "counterfeit. Check with the seller, or call 12315."),
    "refused": ("不予打印 — 此批次已被召回或暂扣", "Not printed — this lot is recalled or on hold"),
    "refused_text": ("召回或暂扣期间不得出具合格证或标签。{reason}",
                     "No certificate or label is issued while a recall or hold is in force. "
                     "{reason}"),
    "bad_code": ("无效的编码", "Not a valid code"),
    "bad_code_text": ("这不是有效的 GS1 数字链接：{reason}",
                      "This is not a valid GS1 Digital Link: {reason}"),
    "records_note": ("本页依据 {count} 条签名记录生成。", "Built from {count} signed "
                                                    "records."),
    "records_note.one": ("本页依据 {count} 条签名记录生成。", "Built from 1 signed record."),
    "certificate_link": ("查看承诺达标合格证", "View the compliance certificate"),
    "print_pdf": ("打印 PDF", "Print (PDF)"),
    "commitment": ("承诺声明", "Commitment"),
    "issued": ("开具日期", "Issue date"),
    "basis": ("承诺依据", "Basis"),
    "basis_record": ("检测记录", "Test record"),
    "corrected_note": ("此记录已被更正，显示的是更正后的内容",
                       "Corrected later; shown as corrected"),
    "issued_by": ("开具单位", "Issued by"),
    "signed_record": ("签名记录", "Signed record"),
    "scan_to_verify": ("扫码查验", "Scan to verify"),
}

WORDS: Mapping[str, tuple[str, str]] = {**STEPS, **{f"fact.{k}": v for k, v in FACTS.items()},
                                        **{f"code.{k}": v for k, v in CODES.items()},
                                        **{f"unit.{k}": v for k, v in UNIT_WORDS.items()}, **PAGE}
