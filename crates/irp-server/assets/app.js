// The web mode's one script. Every page works without it: it only shows the totals as the user
// types and fills the buyer from the register when a GSTIN is typed. The server computes and
// checks everything again.
"use strict";

(function () {
  const form = document.getElementById("invoice-form");
  if (!form) return;

  // Paise as integers, so that the sums are exact; half away from zero as the server rounds.
  function paise(text) {
    const t = String(text).trim();
    if (!/^-?\d+(\.\d+)?$/.test(t)) return null;
    return Number(t);
  }
  function round2(x) {
    const s = Math.sign(x) || 1;
    return s * Math.round(Math.abs(x) * 100 + 1e-9) / 100;
  }
  // As the server shows amounts (crate::figures): two decimals, Indian digit grouping.
  const indian = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function fmt(x) { return indian.format(x); }

  function recompute() {
    const sellerState = form.dataset.sellerState;
    const supType = form.querySelector("#sup_type").value;
    const pos = form.querySelector("#buyer_pos").value.trim().padStart(2, "0");
    // The core's regime: no tax "without payment", IGST for exports, SEZ supplies, a SEZ
    // developer's supplies and across states, CGST and SGST otherwise.
    const noTax = supType === "EXPWOP" || supType === "SEZWOP";
    const intra = !noTax && sellerState && pos === sellerState && supType !== "EXPWP" &&
      supType !== "SEZWP" && form.dataset.sellerSez !== "true";
    const totals = { taxable: 0, igst: 0, cgst: 0, sgst: 0 };
    form.querySelectorAll("tr.item").forEach(function (row) {
      const qty = paise(row.querySelector("[name=item_qty]").value);
      const price = paise(row.querySelector("[name=item_price]").value);
      const rate = paise(row.querySelector("[name=item_rate]").value);
      const out = function (name, value) { row.querySelector("[data-out=" + name + "]").textContent = value; };
      if (qty === null || price === null || rate === null) { out("taxable", ""); out("tax", ""); out("total", ""); return; }
      const taxable = round2(qty * price);
      let igst = 0, cgst = 0, sgst = 0;
      if (noTax) { /* no tax */ } else if (intra) { cgst = sgst = round2(taxable * rate / 200); } else { igst = round2(taxable * rate / 100); }
      out("taxable", fmt(taxable)); out("tax", fmt(igst + cgst + sgst)); out("total", fmt(taxable + igst + cgst + sgst));
      totals.taxable += taxable; totals.igst += igst; totals.cgst += cgst; totals.sgst += sgst;
    });
    const set = function (name, value) { const cell = document.querySelector("[data-total=" + name + "]"); if (cell) cell.textContent = fmt(value); };
    set("taxable", totals.taxable); set("igst", totals.igst); set("cgst", totals.cgst); set("sgst", totals.sgst);
    set("total", totals.taxable + totals.igst + totals.cgst + totals.sgst);
  }
  form.addEventListener("input", recompute);
  form.addEventListener("change", recompute);

  const gstin = form.querySelector("#buyer_gstin");
  if (gstin) {
    gstin.addEventListener("change", function () {
      const value = gstin.value.trim().toUpperCase();
      if (!/^[0-9A-Z]{15}$/.test(value)) return;
      fetch(gstin.dataset.lookup + encodeURIComponent(value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (found) {
          if (!found || !found.name) return;
          const fill = function (id, v) { const el = form.querySelector("#" + id); if (el && v) el.value = v; };
          fill("buyer_name", found.name); fill("buyer_addr1", found.addr1); fill("buyer_loc", found.loc);
          fill("buyer_pin", found.pin); fill("buyer_state", found.state);
          const pos = form.querySelector("#buyer_pos");
          if (pos && !pos.value) pos.value = found.state;
          recompute();
        })
        .catch(function () {});
    });
  }
})();
