// assay report: table sorting, model filter, group navigation and plots.
// No inline scripts: the pages run under a Content-Security-Policy of script-src 'self'.
"use strict";

function cellValue(row, index, numeric) {
  const cell = row.cells[index];
  if (!cell) return numeric ? NaN : "";
  const raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
  if (!numeric) return raw.trim().toLowerCase();
  const x = parseFloat(raw);
  return Number.isNaN(x) ? NaN : x;
}

function sortTable(table, index, numeric, descending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = cellValue(a, index, numeric);
    const y = cellValue(b, index, numeric);
    if (numeric) {
      // missing values always last
      if (Number.isNaN(x) && Number.isNaN(y)) return 0;
      if (Number.isNaN(x)) return 1;
      if (Number.isNaN(y)) return -1;
      return descending ? y - x : x - y;
    }
    return descending ? y.localeCompare(x) : x.localeCompare(y);
  });
  for (const r of rows) body.appendChild(r);
}

function setupSorting() {
  for (const table of document.querySelectorAll("table.sortable")) {
    const headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.from(headers).forEach((th, index) => {
      const type = th.getAttribute("data-type");
      if (!type) return;
      th.classList.add("sort");
      th.tabIndex = 0;
      const run = () => {
        const numeric = type === "num";
        const current = th.getAttribute("aria-sort");
        // numbers sort high to low first, text A to Z first
        const descending = current ? current === "ascending" : numeric;
        for (const other of headers) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortTable(table, index, numeric, descending);
      };
      th.addEventListener("click", (event) => {
        if (event.target.closest("a")) return; // a task link in the header navigates
        run();
      });
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); run(); }
      });
    });
  }
}

function setupFilters() {
  for (const input of document.querySelectorAll("input[data-filter-table]")) {
    const table = document.getElementById(input.getAttribute("data-filter-table"));
    if (!table) continue;
    input.addEventListener("input", () => {
      const needle = input.value.trim().toLowerCase();
      for (const row of table.tBodies[0].rows) {
        const name = (row.getAttribute("data-model") || "").toLowerCase();
        row.hidden = needle !== "" && !name.includes(needle);
      }
    });
  }
  for (const select of document.querySelectorAll("select[data-nav]")) {
    select.addEventListener("change", () => { window.location.href = select.value; });
  }
}

function setupPlots() {
  if (typeof Plotly === "undefined") return;
  for (const div of document.querySelectorAll("div[data-plot]")) {
    const block = document.getElementById(div.getAttribute("data-plot"));
    if (!block) continue;
    const figure = JSON.parse(block.textContent);
    Plotly.newPlot(div, figure.data, figure.layout, { responsive: true, displaylogo: false });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setupSorting();
  setupFilters();
  setupPlots();
});
