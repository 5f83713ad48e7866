// The gradebook grid: every cell saves itself through htmx (the cell posts to the cell URL and swaps back; the
// student's average comes out-of-band), the keyboard moves like a spreadsheet, a block pasted from a spreadsheet
// fills the cells right and down, and "Fill down" copies a value down a column.
// How a cell is saved, queued, retried, said ("Saving…", "Saved", its refusal, "Not saved — retrying") and kept
// while it is being typed in is the live grids' one mechanism, shared with the register: live_grid.js. Every
// save sends the cell's base (the hidden b-… input: what it showed when the page was drawn, then what the last
// save stored), so a mark someone else changed meanwhile is refused instead of overwritten: the cell comes back
// with their value shown and the typed one kept, and "Save mine" saves it over theirs on purpose. A refusal
// answers 200 with the cell as typed and the message in it (has-error, data-unsaved).
// The cells' htmx attributes are given here, when a cell is first changed, rather than drawn on each of the
// 1,200 cells of a large grid; what they share (target, swap, one queue for the grid, in order, the timeout)
// is on the table body (exams/gradebook.html). Shared with the register through portal.js: a cell selects its
// content on focus (typing replaces the mark shown), and leaving the page while a cell is saving, waiting for a
// retry, refused or typed but not yet sent asks first (data-leave-guard on the form).
// Without this script the grid is a plain form saved with one POST (see exams/gradebook.html).

import { liveGrid } from "./live_grid.js";

const form = document.querySelector("form[data-gradebook]");
if (form && window.htmx) setUp(form, window.htmx);

function setUp(form, htmx) {
  const text = form.dataset;
  const reason = form.querySelector("#gb-reason");
  const help = document.getElementById("gb-keys");
  if (help) help.hidden = false;
  for (const button of form.querySelectorAll(".gb-fill")) button.hidden = false;
  form.classList.add("is-live");

  const inputs = () => Array.from(form.querySelectorAll(".gb-input"));
  const cellOf = (input) => input.closest("td");
  const inputAt = (row, col) => {
    const tr = form.querySelectorAll("tbody tr")[row];
    return tr ? tr.querySelectorAll(".gb-input")[col] || null : null;
  };
  const position = (input) => {
    const tr = input.closest("tr");
    const rows = Array.from(form.querySelectorAll("tbody tr"));
    return [rows.indexOf(tr), Array.from(tr.querySelectorAll(".gb-input")).indexOf(input)];
  };
  const editable = (input) => input && !input.readOnly;

  // "Parent, Sam · Quiz A": who and what a cell is, for what the live region says.
  function nameOf(cell) {
    const input = cell.querySelector(".gb-input");
    const student = input && document.getElementById(`st-${input.dataset.s}`);
    const head = input && document.getElementById(`as-${input.dataset.a}`);
    const assessment = head && head.querySelector(".gb-head-name");
    return [student, assessment].map((node) => (node ? node.textContent.trim() : "")).join(" · ");
  }

  const grid = liveGrid(form, htmx, {
    unit: "td.gb-cell[id]",
    live: document.getElementById("gb-live"),
    stateSlot(cell) {
      let status = cell.querySelector(".gb-status");
      if (!status) {
        status = document.createElement("div");
        status.className = "gb-status";
        cell.append(status);
      }
      return status;
    },
    error: ".gb-error",
    resend: ".gb-overwrite",
    nameOf,
    savedMessage: (cell) => `${nameOf(cell)}: ${text.msgSaved}`,
    prepare(cell) {
      if (cell.hasAttribute("hx-post") || !editable(cell.querySelector(".gb-input"))) return;
      cell.setAttribute("hx-post", text.cellUrl);
      cell.setAttribute("hx-trigger", "change");
    },
  });

  // What a cell sends (the cell endpoint's fields), read when the request leaves, not when it was queued: the
  // save before it may have moved the base.
  form.addEventListener("htmx:configRequest", (event) => {
    const cell = event.detail.elt;
    const input = cell instanceof Element && cell.matches("td.gb-cell") ? cell.querySelector(".gb-input") : null;
    if (!input) return;
    const params = event.detail.parameters;
    params.assessment = input.dataset.a;
    params.student = input.dataset.s;
    params.value = input.value;
    params.base = cell.querySelector(".gb-base").value;
    if (reason) params.reason = reason.value;
  });

  // A value put in a cell by the grid itself (paste, fill down, Escape) is saved like one typed.
  function save(input) {
    if (!editable(input)) return;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function moveTo(input) {
    if (!input) return;
    input.focus();
    input.select();
  }

  // The plain-form submit (Enter in a cell) must never post the whole grid while the live grid is on.
  form.addEventListener("submit", (event) => event.preventDefault());

  // --- keyboard -----------------------------------------------------------------------------------------
  form.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!input.matches(".gb-input") || event.ctrlKey || event.metaKey || event.altKey) return;
    const [row, col] = position(input);
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    let target = null;
    switch (event.key) {
      case "Enter":
        target = inputAt(row + (event.shiftKey ? -1 : 1), col);
        event.preventDefault();
        if (!target) input.blur(); // last row: commit the cell
        break;
      case "ArrowDown":
        target = inputAt(row + 1, col);
        break;
      case "ArrowUp":
        target = inputAt(row - 1, col);
        break;
      case "ArrowLeft":
        if (!atStart) return;
        target = inputAt(row, col - 1);
        break;
      case "ArrowRight":
        if (!atEnd) return;
        target = inputAt(row, col + 1);
        break;
      case "Escape": {
        // Back to the saved mark: a refusal shown on the cell goes with what was typed.
        const cell = cellOf(input);
        input.value = input.defaultValue = cell.dataset.saved || "";
        // Pressed while the typed mark is on its way: it may land, so the mark shown is saved again after it.
        if (cell.classList.contains("is-saving")) {
          save(input);
        } else if (cell.classList.contains("has-error")) {
          for (const error of cell.querySelectorAll(".gb-error")) error.remove();
          cell.classList.remove("has-error", "has-conflict");
          input.classList.remove("is-invalid");
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
          grid.showState(cell, null);
          grid.settle(cell);
        }
        input.select();
        event.preventDefault();
        return;
      }
      default:
        return;
    }
    if (target) {
      event.preventDefault();
      moveTo(target);
    }
  });

  // --- paste a block from a spreadsheet ---------------------------------------------------------------------
  form.addEventListener("paste", (event) => {
    const input = event.target;
    if (!input.matches(".gb-input") || !editable(input)) return;
    const data = (event.clipboardData || window.clipboardData).getData("text") || "";
    if (!/[\t\r\n]/.test(data.replace(/[\r\n]+$/, ""))) return; // one value: the browser pastes it
    event.preventDefault();
    const lines = data.replace(/[\r\n]+$/, "").split(/\r?\n/);
    const [row, col] = position(input);
    lines.forEach((line, r) => {
      line.split("\t").forEach((value, c) => {
        const target = inputAt(row + r, col + c);
        if (!editable(target)) return;
        target.value = value.trim();
        save(target);
      });
    });
  });

  // "Save mine" (live_grid.js resends the cell): the person goes on typing where they were.
  form.addEventListener("click", (event) => {
    const button = event.target.closest(".gb-overwrite");
    if (button) cellOf(button).querySelector(".gb-input").focus();
  });

  // --- fill down ------------------------------------------------------------------------------------------
  // Copies the value of the column's selected cell (or its first filled cell) to the empty cells below it;
  // with Shift held, to every cell below it.
  let lastFocused = null;
  form.addEventListener("focusin", (event) => {
    if (event.target.matches(".gb-input")) lastFocused = event.target;
  });
  form.addEventListener("click", (event) => {
    const button = event.target.closest(".gb-fill");
    if (!button) return;
    const column = inputs().filter((input) => input.dataset.a === button.dataset.fill);
    let start = column.indexOf(lastFocused);
    if (start < 0) start = column.findIndex((input) => input.value.trim() !== "");
    if (start < 0) return;
    const value = column[start].value.trim();
    for (const input of column.slice(start + 1)) {
      if (!editable(input) || (!event.shiftKey && input.value.trim() !== "")) continue;
      input.value = value;
      save(input);
    }
  });

  // Every listener is bound: keys typed from now on are handled (browser tests wait for this mark).
  form.dataset.ready = "true";
}
