// The live grids' one saving mechanism (the register's rows, the gradebook's cells): what is typed is what is
// saved. htmx sends a unit (a row or a cell: hx-post, hx-trigger="change", its hx-sync queue) and swaps the
// answer in (the unit, outerHTML, with totals out-of-band); this module adds what htmx does not give:
// - where each unit stands, in words and an icon as well as colour ("Saving", "Saved", "Not saved — retrying",
//   "Not saved."; the words come from the form's data-msg-… attributes), said again in the page's polite live
//   region, and data-unsaved on a unit whose work is not saved yet (portal.js asks before the page is left);
// - retry with backoff (1 s, 2 s, 4 s … 30 s) when the answer does not arrive (no connection, a timeout, 5xx, a
//   429); any other 4xx is final ("Not saved.", the unit stays unsaved);
// - keep what is being typed: an answer that lands after the person changed the unit again (a change queued, or
//   a field being typed in) is kept off the unit; only its out-of-band totals are taken and, when it saved, the
//   unit's new base (its hidden inputs, data-saved, its fields' drawn values), so the next save builds on it;
// - "Save mine" (a stale base refused: someone else changed the unit) and a retry resend the unit as it is.
// A refusal answers 200 with the unit as the person left it, marked has-error and data-unsaved, and the message
// in it: it is what the page shows, not a failure. An answer that is not the unit at all (the student left the
// class) is a refusal of the request: the unit is kept as typed and the message said in its state.
// Used by register.js and gradebook.js, which keep what is their own (keyboard, columns, paste).

const TONES = {
  saving: ["text-body-secondary", "bi-hourglass-split"],
  saved: ["text-success", "bi-check2"],
  retrying: ["text-danger", "bi-arrow-repeat"],
  failed: ["text-danger", "bi-x-octagon-fill"],
  refused: ["text-danger", "bi-exclamation-triangle-fill"],
};

const isTyping = (node) =>
  node instanceof HTMLElement && node.matches("input[type=text], input[type=number], textarea, select");

/**
 * Make a grid's units live.
 * @param {HTMLFormElement} form  the grid's form (data-msg-saving, -saved, -retrying, -failed)
 * @param {object} htmx
 * @param {object} grid
 * @param {string} grid.unit  selector of a unit (a row or a cell with an id)
 * @param {HTMLElement} grid.live  the polite live region
 * @param {(unit: Element) => Element | null} grid.stateSlot  where a unit's state words go
 * @param {string} grid.error  selector of a refusal's message inside a unit
 * @param {string} grid.resend  selector of a unit's "Save mine" button
 * @param {(unit: Element) => string} grid.nameOf  who or what the unit is, for the live region
 * @param {(unit: Element) => string} grid.savedMessage  what the live region says when the unit is saved
 * @param {(unit: Element) => void} [grid.prepare]  gives a unit its htmx attributes, if the markup has none
 */
export function liveGrid(form, htmx, grid) {
  const words = form.dataset;
  const edits = new Map(); // unit id → how many changes the person made on it (and resends asked for)
  const sent = new Map(); // unit id → how many of them the request in flight carries
  const failures = new Map(); // unit id → failed attempts in a row
  const retries = new Map(); // unit id → the pending retry's timer
  const kept = new Set(); // units whose answer was kept off them (the person changed them meanwhile)
  const keptRefused = new Set(); // …and the answer was a refusal (the newer change is checked again)
  const refusedApart = new Map(); // unit id → the message of an answer that was not the unit

  const unitOf = (node) => (node instanceof Element ? node.closest(grid.unit) : null);
  // The unit that sent a request as it is on the page now (after an outerHTML swap the one that sent it is
  // detached; its id names its replacement).
  function requester(event) {
    const elt = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    const unit = elt && elt.id ? document.getElementById(elt.id) : null;
    return unit && unit.matches(grid.unit) ? unit : null;
  }
  const newer = (unit) => (edits.get(unit.id) || 0) > (sent.get(unit.id) || 0);

  function announce(message) {
    grid.live.textContent = "";
    window.setTimeout(() => {
      grid.live.textContent = message;
    }, 50);
  }

  function showState(unit, kind, message) {
    const slot = grid.stateSlot(unit);
    if (!slot) return;
    if (!kind) {
      slot.replaceChildren();
      return;
    }
    const [tone, iconName] = TONES[kind];
    const span = document.createElement("span");
    span.className = `live-state ${tone}`;
    if (kind === "refused") span.setAttribute("role", "alert");
    const icon = document.createElement("i");
    icon.className = `bi ${iconName}`;
    icon.setAttribute("aria-hidden", "true");
    const said = message || words[`msg${kind[0].toUpperCase()}${kind.slice(1)}`] || "";
    span.append(icon, ` ${said}`);
    slot.replaceChildren(span);
  }

  // Work not saved yet (on its way, queued, waiting for a retry, refused): the page asks before it is left.
  function settle(unit) {
    const busy = unit.classList.contains("is-saving") || unit.classList.contains("is-unsaved");
    unit.toggleAttribute("data-unsaved", busy || newer(unit) || unit.classList.contains("has-error"));
  }

  function saving(unit) {
    unit.classList.add("is-saving");
    unit.setAttribute("data-unsaved", "");
    if (!unit.classList.contains("is-unsaved")) showState(unit, "saving");
  }

  // Once for each unit on the page (a swapped-in unit is a new element). htmx.process is not idempotent: it
  // starts a node over whenever its attributes changed since htmx last saw it (a class, data-unsaved), and
  // starting over forgets the node's hx-sync queue, so a change made while the unit's save was on the way
  // would be sent at once beside it instead of after it.
  const bound = new WeakSet();
  function live(unit) {
    if (bound.has(unit)) return;
    if (grid.prepare) grid.prepare(unit);
    htmx.process(unit);
    bound.add(unit);
  }

  // Send a unit again without the person changing it ("Save mine", a retry). Counted like a change: a request
  // already in flight for the unit then leaves it in place when it answers, so the queued one is sent from the
  // unit on the page (a unit swapped out from under a queued request would send it from a detached element,
  // which htmx drops).
  function resend(unit) {
    live(unit);
    edits.set(unit.id, (edits.get(unit.id) || 0) + 1);
    saving(unit);
    htmx.trigger(unit, "change");
  }

  // Count the person's changes (capture: before htmx hears the same event on the unit). A unit that has just
  // been swapped in is made live here first: htmx binds a new unit's triggers when it settles, and a change made
  // before that (a fast typist right after a save) would otherwise never be sent.
  form.addEventListener(
    "change",
    (event) => {
      const unit = unitOf(event.target);
      if (!unit || event.target === unit) return;
      live(unit);
      if (!unit.hasAttribute("hx-post")) return;
      edits.set(unit.id, (edits.get(unit.id) || 0) + 1);
      saving(unit);
    },
    true,
  );

  form.addEventListener("htmx:configRequest", (event) => {
    const unit = unitOf(event.detail.elt);
    if (!unit) return;
    sent.set(unit.id, edits.get(unit.id) || 0);
    window.clearTimeout(retries.get(unit.id));
    retries.delete(unit.id);
    saving(unit);
  });

  form.addEventListener("htmx:beforeSwap", (event) => {
    const unit = unitOf(event.detail.elt);
    if (!unit || !event.detail.shouldSwap) return;
    const template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse;
    const fresh = template.content.getElementById(unit.id);
    if (!fresh) {
      event.detail.swapOverride = "none";
      refusedApart.set(unit.id, template.content.textContent.trim().replace(/\s+/g, " "));
      return;
    }
    const focused = document.activeElement;
    const typing = unit.contains(focused) && isTyping(focused) && focused.value !== focused.defaultValue;
    if (newer(unit) || typing) {
      // Keep what the person sees (a queued request carries it, or their leaving the field will); only the
      // totals are taken from this answer, and, when it saved, the unit's new base. A refusal leaves the base,
      // so the newer change is checked too.
      event.detail.swapOverride = "none";
      kept.add(unit.id);
      if (!takeBase(unit, fresh)) keptRefused.add(unit.id);
    }
  });

  function takeBase(unit, fresh) {
    if (fresh.classList.contains("has-error")) return false;
    // The hidden base copies are mirrored, not only updated: a unit may leave out the copy of an empty value
    // (the register does, to keep its page light), so a copy can appear or go with the new base.
    const names = new Set();
    for (const copy of fresh.querySelectorAll("input[name]")) {
      names.add(copy.name);
      const mine = unit.querySelector(`input[name="${copy.name}"]`);
      if (!mine) {
        const hidden = unit.querySelector("input[type=hidden]");
        if (copy.type === "hidden") (hidden ? hidden.parentElement : unit).append(copy.cloneNode());
        continue;
      }
      if (copy.type === "hidden") mine.value = copy.value;
      else if (isTyping(mine)) mine.defaultValue = copy.defaultValue; // what is typed over it is still unsaved
    }
    for (const mine of unit.querySelectorAll("input[type=hidden][name]")) {
      if (!names.has(mine.name)) mine.remove();
    }
    if (fresh.dataset.saved !== undefined) unit.dataset.saved = fresh.dataset.saved;
    return true;
  }

  form.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest(grid.resend) : null;
    const unit = unitOf(button);
    if (!button || !unit) return;
    event.preventDefault(); // without this script the button saves the whole form
    resend(unit);
  });

  form.addEventListener("htmx:afterRequest", (event) => {
    const unit = requester(event);
    if (!unit) return;
    unit.classList.remove("is-saving");
    if (!event.detail.successful) return;
    const { id } = unit;
    failures.delete(id);
    const skipped = kept.delete(id);
    const apart = refusedApart.get(id);
    refusedApart.delete(id);
    if (keptRefused.delete(id)) {
      settle(unit); // refused, but the person's newer change is on its way: it will say how it went
      return;
    }
    unit.classList.remove("is-unsaved");
    if (apart !== undefined) {
      unit.classList.add("has-error");
      showState(unit, "refused", apart);
      settle(unit);
      announce(`${grid.nameOf(unit)}: ${apart}`);
      return;
    }
    settle(unit);
    const error = unit.classList.contains("has-error") ? unit.querySelector(grid.error) : null;
    if (error) {
      announce(`${grid.nameOf(unit)}: ${error.textContent.trim()}`);
      return;
    }
    if (skipped) showState(unit, newer(unit) ? "saving" : "saved"); // not swapped: say it here
    announce(grid.savedMessage(unit));
  });

  function failed(event) {
    const unit = requester(event);
    if (!unit) return;
    const { id } = unit;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    const final = status >= 400 && status < 500 && status !== 429; // refused for good (403, 404): no retry
    const attempts = (failures.get(id) || 0) + 1;
    failures.set(id, attempts);
    unit.classList.remove("is-saving");
    unit.classList.add("is-unsaved");
    settle(unit);
    showState(unit, final ? "failed" : "retrying");
    if (attempts === 1 || final) announce(`${grid.nameOf(unit)}: ${final ? words.msgFailed : words.msgRetrying}`);
    window.clearTimeout(retries.get(id));
    retries.delete(id);
    if (final) return;
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

  return { announce, showState, settle };
}
