// The gradebook grid: every cell saves itself (one POST per cell to the cell URL; the answer replaces the
// cell and, out-of-band, the student's average), the keyboard moves like a spreadsheet, a block pasted from a
// spreadsheet fills the cells right and down, "Fill down" copies a value down a column, and a save that
// fails on the network is shown on the cell and retried until it lands.
// Every save sends the cell's base (the hidden b-… input: what it showed when the page was drawn, then what the
// last save stored), so a mark someone else changed meanwhile is refused instead of overwritten: the cell
// comes back with their value shown and the typed one kept, and "Save mine" saves it over theirs on purpose.
// Every cell says where it stands, in words and an icon as well as colour: "Saving…", "Saved", its refusal, or
// "Not saved — retrying"; the page's polite live region says the same. A refusal answers 200 with the cell as
// typed and the message in it (has-error, data-unsaved). Shared with the register through portal.js: a cell
// selects its content on focus (typing replaces the mark shown), and leaving the page while a cell is saving,
// waiting for a retry, refused or typed but not yet sent asks first (data-leave-guard on the form).
// Without this script the grid is a plain form saved with one POST (see exams/gradebook.html).

const form = document.querySelector("form[data-gradebook]");
if (form) setUp(form);

function setUp(form) {
  const text = form.dataset;
  const cellUrl = text.cellUrl;
  const live = document.getElementById("gb-live");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
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

  function announce(message) {
    if (!live) return;
    live.textContent = "";
    window.setTimeout(() => (live.textContent = message), 50);
  }

  // "Parent, Sam · Quiz A": who and what a cell is, for what the live region says.
  function nameOf(cell) {
    const input = cell.querySelector(".gb-input");
    const student = input && document.getElementById(`st-${input.dataset.s}`);
    const head = input && document.getElementById(`as-${input.dataset.a}`);
    const assessment = head && head.querySelector(".gb-head-name");
    return [student, assessment].map((node) => (node ? node.textContent.trim() : "")).join(" · ");
  }

  const ICONS = { saving: "bi-hourglass-split", retrying: "bi-arrow-repeat", failed: "bi-x-octagon-fill" };

  // The cell's state while its save is on its way (saving), waiting for a retry, or failed for good. Any of
  // them, or a refusal, is work not saved: data-unsaved (portal.js asks before the page is left).
  function showState(cell, kind, message) {
    for (const old of cell.querySelectorAll(".gb-status")) old.remove();
    cell.classList.remove("is-saving", "is-retrying");
    if (kind === "saving") cell.classList.add("is-saving");
    if (kind === "retrying" || kind === "failed") cell.classList.add("is-retrying");
    cell.toggleAttribute("data-unsaved", Boolean(kind) || cell.classList.contains("has-error"));
    if (!kind) return;
    const status = document.createElement("div");
    status.className = `gb-status gb-${kind}`;
    const icon = document.createElement("i");
    icon.className = `bi ${ICONS[kind]}`;
    icon.setAttribute("aria-hidden", "true");
    status.append(icon, ` ${message}`);
    cell.append(status);
  }

  function moveTo(input) {
    if (!input) return;
    input.focus();
    input.select();
  }

  // --- saving ---------------------------------------------------------------------------------------------
  const queue = []; // cells waiting to be sent, one request at a time (in order, so nothing overtakes)
  const latest = new Map(); // cell id → the value last asked to be saved
  let busy = false;

  function save(input) {
    if (!editable(input)) return;
    const id = cellOf(input).id;
    latest.set(id, input.value);
    showState(cellOf(input), "saving", text.msgSaving);
    queue.push({ id, a: input.dataset.a, s: input.dataset.s, value: input.value, tries: 0 });
    pump();
  }

  async function pump() {
    if (busy) return;
    const job = queue.shift();
    if (!job) return;
    busy = true;
    try {
      if (latest.get(job.id) === job.value) await send(job);
    } finally {
      busy = false;
      pump();
    }
  }

  async function send(job) {
    // The base is read when the request leaves, not when it was queued: the save before it may have moved it.
    const current = document.getElementById(job.id);
    const base = current ? current.querySelector(".gb-base") : null;
    const body = new URLSearchParams({ assessment: job.a, student: job.s, value: job.value });
    body.set("base", base ? base.value : "");
    if (reason) body.set("reason", reason.value);
    let response = null;
    try {
      response = await fetch(cellUrl, {
        method: "POST",
        body,
        headers: { "HX-Request": "true", "X-CSRFToken": token },
        credentials: "same-origin",
      });
    } catch (error) {
      response = null;
    }
    if (response && response.ok) {
      swap(job, await response.text());
      return;
    }
    retryLater(job, response);
  }

  function retryLater(job, response) {
    const cell = document.getElementById(job.id);
    if (!cell) return;
    const final = response && response.status < 500; // refused for good (403/404): no retry
    const message = final ? text.msgFailed : text.msgRetrying;
    if (!cell.classList.contains("is-retrying")) announce(`${nameOf(cell)}: ${message}`);
    showState(cell, final ? "failed" : "retrying", message);
    if (final) return;
    job.tries += 1;
    const delay = Math.min(30000, 1000 * 2 ** Math.min(job.tries, 5));
    window.setTimeout(() => {
      if (latest.get(job.id) !== job.value) return;
      queue.push(job);
      pump();
    }, delay);
  }

  function swap(job, html) {
    const template = document.createElement("template");
    template.innerHTML = `<table><tr>${html}</tr></table>`;
    const fresh = template.content.querySelector("td.gb-cell");
    for (const oob of template.content.querySelectorAll("[hx-swap-oob]")) {
      oob.removeAttribute("hx-swap-oob");
      const old = document.getElementById(oob.id);
      if (old) old.replaceWith(oob);
    }
    const cell = document.getElementById(job.id);
    if (!cell || !fresh) return;
    if (fresh.id !== job.id) {
      // A refusal that is not about the value (the student left the class): say so on the cell.
      const error = fresh.querySelector(".gb-error");
      for (const old of cell.querySelectorAll(".gb-error")) old.remove();
      cell.classList.add("has-error");
      showState(cell, null);
      if (error) {
        cell.append(error);
        announce(`${nameOf(cell)}: ${error.textContent.trim()}`);
      }
      return;
    }
    const saved = !fresh.classList.contains("has-error");
    const input = cell.querySelector(".gb-input");
    if (latest.get(job.id) !== job.value || (input && input.value !== job.value)) {
      // The person typed again meanwhile: keep what is on screen; that change is queued already (or is sent
      // when they leave the cell). A save that landed moves the base (the next save builds on it, not on the
      // page's old value); a refusal does not, so the queued change is checked against the other person's
      // value too.
      if (saved) {
        cell.querySelector(".gb-base").value = fresh.querySelector(".gb-base").value;
        cell.dataset.saved = fresh.dataset.saved;
        if (input) input.defaultValue = fresh.dataset.saved; // what is typed over it is still unsaved work
      }
      if (latest.get(job.id) === job.value) showState(cell, null); // nothing queued: the typing is not sent yet
      return;
    }
    const hadFocus = document.activeElement === input;
    cell.replaceWith(fresh);
    const next = fresh.querySelector(".gb-input");
    if (hadFocus && next) moveTo(next);
    const error = fresh.querySelector(".gb-error");
    announce(`${nameOf(fresh)}: ${error ? error.textContent.trim() : text.msgSaved}`);
  }

  form.addEventListener("change", (event) => {
    if (event.target.matches(".gb-input")) save(event.target);
  });

  // The plain-form submit (Enter in a cell) must never post the whole grid while the live grid is on.
  form.addEventListener("submit", (event) => event.preventDefault());

  // --- keyboard -------------------------------------------------------------------------------------------
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
          showState(cell, null);
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

  // --- fill down ------------------------------------------------------------------------------------------
  // Copies the value of the column's selected cell (or its first filled cell) to the empty cells below it;
  // with Shift held, to every cell below it.
  let lastFocused = null;
  form.addEventListener("focusin", (event) => {
    if (event.target.matches(".gb-input")) lastFocused = event.target;
  });
  // "Save mine" on a cell someone else changed: save what is typed over their value (the cell's base is now
  // their value, so this save is on purpose and lands). Without this script it submits the whole grid.
  form.addEventListener("click", (event) => {
    const button = event.target.closest(".gb-overwrite");
    if (!button) return;
    event.preventDefault();
    const input = cellOf(button).querySelector(".gb-input");
    save(input);
    input.focus();
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
}
