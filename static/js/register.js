// The register: every change saves itself through htmx (the row posts to its mark URL and swaps back, the
// counters come out-of-band), and the keyboard marks a whole class without the mouse.
// How a row is saved, queued, retried, said ("Saving", "Saved", "Not saved — retrying") and kept while it is
// being typed in is the live grids' one mechanism, shared with the gradebook: live_grid.js. Each row sends its
// base with every save (the hidden initial-… copies of what it showed, listed in the row's hx-params): a row
// someone else changed meanwhile comes back refused with their mark said and the person's choice kept, and
// "Save mine" sends it again on the new base. A refusal (bad input, cut-off, someone else's newer mark) answers
// 200 with the row as the person left it and the message in it (has-error, data-unsaved).
// Shared with the gradebook through portal.js: the minutes field selects its content on focus (typing replaces
// it), and leaving the page with a row saving, waiting for a retry or refused asks first (data-leave-guard).
// Without this script the register is a plain form that saves with one POST (see attendance/register.html).

import { liveGrid } from "./live_grid.js";

const form = document.querySelector("form[data-register]");
if (form && window.htmx) setUp(form, window.htmx);

function setUp(form, htmx) {
  const text = form.dataset;
  form.classList.add("is-live");
  let activeId = null;

  const rowOf = (node) => (node instanceof Element ? node.closest(".register-row[id]") : null);
  const rows = () => Array.from(form.querySelectorAll(".register-row[id]"));
  const isTyping = (node) =>
    node instanceof HTMLElement && node.matches("input[type=text], input[type=number], textarea, select");

  // What every row's save shares, given to a row when it is first changed (the page sends none of it: 40 rows
  // of the same attributes were a third of its weight). A row posts its own fields and their base (the hidden
  // initial-… copies), its student, and the office's reason for a late change; it swaps itself back, and its
  // saves queue one after another, the last change winning.
  const markUrl = text.markUrl;
  const FIELDS = ["status", "late_minutes", "reason", "note"];
  function prepare(row) {
    if (!markUrl || row.hasAttribute("hx-post")) return;
    const student = row.id.slice("row-".length);
    const own = FIELDS.map((name) => `s${student}-${name}`);
    row.setAttribute("hx-post", markUrl);
    row.setAttribute("hx-trigger", "change");
    row.setAttribute("hx-target", "this");
    row.setAttribute("hx-swap", "outerHTML settle:0ms");
    row.setAttribute("hx-sync", "this:queue last");
    row.setAttribute("hx-vals", JSON.stringify({ student }));
    row.setAttribute("hx-params", ["student", "change_reason", ...own, ...own.map((n) => `initial-${n}`)].join(","));
    row.setAttribute("hx-request", JSON.stringify({ timeout: 15000 }));
  }
  const nameOf = (row) => row.querySelector(":scope > b")?.textContent || "";

  liveGrid(form, htmx, {
    unit: ".register-row[id]",
    live: document.getElementById("register-live"),
    // A row's state line is drawn only when it says something: made here when the row first needs one.
    stateSlot(row) {
      let slot = row.querySelector(".register-state");
      if (!slot) {
        slot = document.createElement("p");
        slot.className = "register-state";
        row.append(slot);
      }
      return slot;
    },
    error: "[role=alert]",
    resend: ".register-overwrite",
    nameOf,
    savedMessage(row) {
      const label = row.querySelector("input[type=radio]:checked")?.closest("label");
      return text.msgSavedAs.replace("{name}", nameOf(row)).replace("{status}", label ? label.textContent : "");
    },
    prepare,
  });

  function markActive(row) {
    for (const other of form.querySelectorAll(".register-row[aria-current]")) {
      other.removeAttribute("aria-current");
      other.tabIndex = -1;
    }
    row.setAttribute("aria-current", "true");
    row.tabIndex = 0;
    activeId = row.id;
  }

  function activate(row) {
    markActive(row);
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(row, step) {
    const all = rows();
    const next = all[all.indexOf(row) + step];
    if (next) activate(next);
  }

  const STATUS_KEYS = { p: "present", a: "absent", l: "late", e: "excused" };
  function setStatus(row, key) {
    const radio = row.querySelector(`input[type=radio][value="${STATUS_KEYS[key]}"]`);
    if (!radio || radio.matches(":disabled")) return;
    activate(row);
    if (!radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function focusField(row, selector, statusKey) {
    if (statusKey) setStatus(row, statusKey);
    const field = row.querySelector(selector);
    if (!field || field.matches(":disabled")) return;
    const details = field.closest("details");
    if (details) details.open = true;
    field.focus(); // data-select-on-focus (portal.js): typing replaces what is there (a late mark starts at 0)
    field.select();
  }

  // Rows take focus (a click on a row, the arrow keys); the markup leaves tabindex out, one per row.
  for (const row of rows()) row.tabIndex = -1;
  const first = rows()[0];
  if (first) markActive(first);
  const pageError = document.querySelector("[data-focus-on-load]");
  if (pageError) pageError.focus();

  form.addEventListener("focusin", (event) => {
    const row = rowOf(event.target);
    if (row && row.id !== activeId) markActive(row);
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const onPage = target === document.body || target === document.documentElement || target.id === "main";
    if (!onPage && !form.contains(target)) return;
    if (isTyping(target)) {
      const row = rowOf(target);
      if (row && (event.key === "Enter" || event.key === "Escape")) {
        // Leaving the field commits it (its change event saves the row); Enter must not submit the form.
        event.preventDefault();
        activate(row);
      }
      return;
    }
    const row = rowOf(target) || document.getElementById(activeId) || rows()[0];
    if (!row) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const actions = {
      ArrowDown: () => move(row, 1),
      j: () => move(row, 1),
      ArrowUp: () => move(row, -1),
      k: () => move(row, -1),
      p: () => setStatus(row, "p"),
      a: () => setStatus(row, "a"),
      l: () => setStatus(row, "l"),
      e: () => setStatus(row, "e"),
      m: () => focusField(row, ".register-late input", "l"),
      r: () => focusField(row, ".register-late + label input", "e"),
      n: () => focusField(row, "details input"),
      s: () => document.getElementById("register-submit")?.focus(),
    };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    } else if (key === "Enter" && target.matches("input[type=radio], .register-row")) {
      event.preventDefault(); // a radio or a row is not a submit button
    }
  });

  form.addEventListener("htmx:afterSwap", (event) => {
    const row = rowOf(event.target);
    if (!row) return;
    if (row.id === activeId) markActive(row);
    else row.tabIndex = -1;
  });

  // Every listener is bound: keys typed from now on are handled (browser tests wait for this mark).
  form.dataset.ready = "true";
}
