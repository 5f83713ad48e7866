// Small behaviours for every page. No inline handlers (the CSP forbids them); everything works without JS.

// Selects marked data-autosubmit submit their form on change; their submit button is then redundant.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  const form = select.form;
  const button = form && form.querySelector("[data-autosubmit-button]");
  if (button) button.classList.add("visually-hidden");
  select.addEventListener("change", () => form.requestSubmit());
}

// After an htmx swap, move focus to a region that asks for it so screen readers announce the change.
document.body.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.elt.querySelector("[data-focus-after-swap]");
  if (target) target.focus();
});

// Forms marked data-confirm ask before a destructive action (unlink, delete, withdraw).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// ---- Live grids (register, gradebook): what is typed is what is saved -------------------------------------
// Shared by static/js/register.js and static/js/gradebook.js; both work through the markup below, so neither
// imports this file (a second import would run it twice under hashed static names). How they save (send, queue,
// retry, say, keep what is typed) is their one module, static/js/live_grid.js, which marks work not saved yet
// data-unsaved for the leave guard below.

// A field marked data-select-on-focus (a prefilled number in a grid: minutes late, a mark) has its content
// selected whenever it gains focus (a click, a tap, Tab, a keyboard shortcut, or htmx moving focus into a row it
// has just swapped in), so the first key typed replaces the value shown instead of joining it ("7" typed over a
// prefilled "0" is 7, not 70). A click would place the caret after the focus event and undo the selection, so
// a click on a field that is not focused yet focuses it here instead.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.matches("[data-select-on-focus]")) field.select();
});
document.addEventListener("mousedown", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.matches("[data-select-on-focus]")) return;
  if (event.button !== 0 || document.activeElement === field || field.disabled) return;
  event.preventDefault();
  field.focus();
});

// Leaving a page with work not saved asks first. An area marked data-leave-guard="<the question>" holds live
// fields: anything in it marked data-unsaved (a row or cell being saved, waiting for a retry, or refused) or a
// text field whose value differs from what the page drew is work that leaving would lose (a field marked
// data-leave-guard-ignore is not: the office's reason for a change, which goes with each save). Full
// navigation asks through beforeunload (the browser's own dialog); an htmx request that would replace the page
// (a boosted link, a pushed URL, or a target holding the area) asks with window.confirm. Submitting the area's
// own form leaves on purpose (it saves everything).
let leavingOnPurpose = false;
window.addEventListener("pageshow", () => {
  leavingOnPurpose = false; // back on the page from the browser's cache: guarded again
});
function unsavedWorkQuestion() {
  if (leavingOnPurpose) return "";
  for (const area of document.querySelectorAll("[data-leave-guard]")) {
    const fields = area.querySelectorAll("input[type=text]:not([data-leave-guard-ignore]), textarea");
    const edited = Array.from(fields).some(
      (field) => !field.readOnly && !field.disabled && field.value !== field.defaultValue,
    );
    if (edited || area.querySelector("[data-unsaved]")) return area.dataset.leaveGuard;
  }
  return "";
}
document.addEventListener("submit", (event) => {
  if (!event.defaultPrevented && event.target.closest("[data-leave-guard]")) leavingOnPurpose = true;
});
window.addEventListener("beforeunload", (event) => {
  if (!unsavedWorkQuestion()) return;
  event.preventDefault();
  event.returnValue = "";
});
function replacesPage(detail) {
  const elt = detail.elt;
  if (!(elt instanceof Element)) return false;
  const boost = elt.closest("[hx-boost], [data-hx-boost]");
  const boosted = boost && (boost.getAttribute("hx-boost") || boost.getAttribute("data-hx-boost")) === "true";
  const push = elt.closest("[hx-push-url], [data-hx-push-url]");
  const pushes = push && (push.getAttribute("hx-push-url") || push.getAttribute("data-hx-push-url")) !== "false";
  const areas = Array.from(document.querySelectorAll("[data-leave-guard]"));
  const replaces = detail.target instanceof Element && areas.some((area) => detail.target.contains(area));
  return replaces || ((boosted || pushes) && elt.matches("a[href], form"));
}
document.addEventListener("htmx:confirm", (event) => {
  if (!replacesPage(event.detail)) return;
  const question = unsavedWorkQuestion();
  if (question && !window.confirm(question)) event.preventDefault();
});
// ---- end of the live grids block --------------------------------------------------------------------------
