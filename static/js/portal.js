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
