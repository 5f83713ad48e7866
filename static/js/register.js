// The register: every change saves itself through htmx (the row posts to its mark URL and swaps back, the
// counters come out-of-band), the keyboard marks a whole class without the mouse, and a save that fails is
// shown on its row and retried until it lands, so a mark is never silently lost.
// Each row sends its base with every save (the hidden initial-… copies of what it showed, listed in the row's
// hx-params): a row someone else changed meanwhile comes back refused with their mark said and the
// person's choice kept, and "Save mine" sends it again on the new base. A save that lands brings the row back
// with its new base (also when the swap is skipped: see below), so saving a row twice is not a conflict.
// A refusal (bad input, cut-off, someone else's newer mark) answers 200 with the row as the person left it and
// the message in it (the row carries has-error and data-unsaved): it is what the page shows, not a failure.
// Shared with the gradebook through portal.js: the minutes field selects its content on focus (typing replaces
// it), and leaving the page with a row saving, waiting for a retry or refused asks first (data-leave-guard).
// Without this script the register is a plain form that saves with one POST (see attendance/register.html).

const form = document.querySelector("form[data-register]");
if (form && window.htmx) setUp(form, window.htmx);

function setUp(form, htmx) {
  const live = document.getElementById("register-live");
  const text = form.dataset;
  const keysHelp = document.getElementById("register-keys");
  if (keysHelp) keysHelp.hidden = false;
  form.classList.add("is-live");

  const edits = new Map(); // row id → how many changes the person made on it (and resends asked for)
  const sent = new Map(); // row id → how many of them the request in flight carries
  const failures = new Map(); // row id → failed attempts in a row
  const retries = new Map(); // row id → the pending retry's timer
  const keptRefused = new Set(); // rows whose refused answer was kept off the row (a newer change follows)
  let activeId = null;

  const rowOf = (node) => (node instanceof Element ? node.closest(".register-row[id]") : null);
  const rows = () => Array.from(form.querySelectorAll(".register-row[id]"));
  // The row that sent a request (after an outerHTML swap it is detached; its id names its replacement).
  const requester = (event) => (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
  const isTyping = (node) =>
    node instanceof HTMLElement && node.matches("input[type=text], input[type=number], textarea, select");

  function announce(message) {
    live.textContent = "";
    window.setTimeout(() => {
      live.textContent = message;
    }, 50);
  }

  function showState(row, message, tone) {
    const state = row.querySelector(".register-state");
    if (!state) return;
    const span = document.createElement("span");
    span.className = `text-${tone}`;
    span.textContent = message;
    state.replaceChildren(span);
  }

  // A row with work not saved yet (in flight, waiting for a retry): the page asks before it is left.
  function setPending(row, pending) {
    row.toggleAttribute("data-unsaved", pending || row.classList.contains("has-error"));
  }

  // Send a row again without the person changing it ("Save mine", a retry). Counted like a change: a request
  // already in flight for the row then leaves it in place when it answers, so the queued one is sent from
  // the row on the page (a row swapped out from under a queued request would send it from a detached row,
  // whose answer could reach neither the row nor the counters).
  function resend(row) {
    edits.set(row.id, (edits.get(row.id) || 0) + 1);
    htmx.trigger(row, "change");
  }

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

  function setStatus(row, key) {
    const radio = row.querySelector(`input[type=radio][data-key="${key}"]`);
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
      r: () => focusField(row, ".register-reason input", "e"),
      n: () => focusField(row, ".register-note input"),
      s: () => document.getElementById("register-submit")?.focus(),
    };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    } else if (key === "Enter" && target.matches("input[type=radio], .register-row")) {
      event.preventDefault(); // a radio or a row is not a submit button
    }
  });

  // Count the person's changes (capture: before htmx hears the same event on the row). A row that has just
  // been swapped in is made live here first: htmx binds a new row's triggers when it settles, and a change
  // made before that (a fast typist right after a save) would otherwise never be sent. Rows settle at once
  // (settle:0ms in the template) and process() is idempotent, so this only closes that window.
  form.addEventListener(
    "change",
    (event) => {
      const row = rowOf(event.target);
      if (!row || event.target === row) return;
      htmx.process(row);
      edits.set(row.id, (edits.get(row.id) || 0) + 1);
    },
    true,
  );

  form.addEventListener("htmx:configRequest", (event) => {
    const row = rowOf(event.detail.elt);
    if (!row) return;
    sent.set(row.id, edits.get(row.id) || 0);
    window.clearTimeout(retries.get(row.id));
    retries.delete(row.id);
    row.classList.add("is-saving");
    setPending(row, true);
    if (!row.classList.contains("is-unsaved")) showState(row, text.msgSaving, "body-secondary");
  });

  form.addEventListener("htmx:beforeSwap", (event) => {
    const row = rowOf(event.detail.elt);
    if (!row) return;
    if (!event.detail.shouldSwap) return;
    const newer = (edits.get(row.id) || 0) > (sent.get(row.id) || 0);
    const focused = document.activeElement;
    const typing = row.contains(focused) && isTyping(focused) && focused.value !== focused.defaultValue;
    if (newer || typing) {
      // The person has changed the row since this request left: keep what they see (the queued request
      // carries it); only the counters are taken from this answer, and, when it saved, the row's new base (the
      // queued change builds on this save). A refusal leaves the base, so the queued change is checked too.
      event.detail.swapOverride = "none";
      if (!takeBase(row, event.detail.serverResponse)) keptRefused.add(row.id);
    }
  });

  function takeBase(row, html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.getElementById(row.id);
    if (!fresh || fresh.classList.contains("has-error")) return false;
    for (const copy of fresh.querySelectorAll('input[type=hidden][name^="initial-"]')) {
      const mine = row.querySelector(`input[type=hidden][name="${copy.name}"]`);
      if (mine) mine.value = copy.value;
    }
    return true;
  }

  // "Save mine" on a row someone else changed: send the person's choice again; the row's base is now the
  // other mark, which they have seen, so it lands. (Without this script the button saves the whole form.)
  form.addEventListener("click", (event) => {
    const button = event.target.closest(".register-overwrite");
    const row = rowOf(button);
    if (!button || !row) return;
    event.preventDefault();
    resend(row);
  });

  form.addEventListener("htmx:afterSwap", (event) => {
    const row = rowOf(event.target);
    if (row && row.id === activeId) markActive(row);
  });

  form.addEventListener("htmx:afterRequest", (event) => {
    const id = requester(event) && requester(event).id;
    const row = id ? document.getElementById(id) : null;
    if (!row || !row.classList.contains("register-row")) return;
    row.classList.remove("is-saving");
    if (!event.detail.successful) return;
    failures.delete(row.id);
    if (keptRefused.delete(row.id)) return; // refused, but the person's newer change is on its way: it will say
    const wasUnsaved = row.classList.contains("is-unsaved");
    row.classList.remove("is-unsaved");
    setPending(row, false);
    const error = row.querySelector(".register-state [role=alert]");
    if (error) {
      announce(`${row.dataset.name}: ${error.textContent.trim()}`);
      return;
    }
    if (row.querySelector(".register-state .text-body-secondary") || wasUnsaved) {
      showState(row, text.msgSaved, "success"); // not swapped: the answer was kept off a row being edited
    }
    const label = row.querySelector("input[type=radio]:checked + label");
    announce(text.msgSavedAs.replace("{name}", row.dataset.name).replace("{status}", label ? label.textContent : ""));
  });

  function failed(event) {
    const id = requester(event) && requester(event).id;
    const row = id ? document.getElementById(id) : null;
    if (!row || !row.classList.contains("register-row")) return;
    const attempts = (failures.get(id) || 0) + 1;
    failures.set(id, attempts);
    row.classList.remove("is-saving");
    row.classList.add("is-unsaved");
    setPending(row, true);
    showState(row, text.msgRetrying, "danger");
    if (attempts === 1) announce(`${row.dataset.name}: ${text.msgRetrying}`);
    window.clearTimeout(retries.get(id));
    const delay = Math.min(30000, 1000 * 2 ** Math.min(attempts - 1, 5));
    retries.set(
      id,
      window.setTimeout(() => {
        const current = document.getElementById(id);
        if (current) resend(current);
      }, delay),
    );
  }
  for (const name of ["htmx:responseError", "htmx:sendError", "htmx:timeout"]) {
    form.addEventListener(name, failed);
  }
}
