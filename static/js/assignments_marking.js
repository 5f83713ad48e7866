// The marking page of the teacher's inbox: marking with the keyboard.
// Ctrl+Enter (⌘+Enter on a Mac), anywhere in the marking form, saves and opens the next student ("Save and next
// student"), or just saves on the last student. Without JavaScript the two buttons do the same.

const form = document.querySelector("form[data-marking]");
if (form) {
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    event.preventDefault();
    const button = form.querySelector("[data-save-next]") || form.querySelector("button[name=save]");
    form.requestSubmit(button);
  });
  // The score field (or the feedback, for homework without a score) has the focus when the page opens, so the
  // teacher types at once; autofocus does this too, but not when the page comes back from the browser's cache.
  window.addEventListener("pageshow", () => {
    const first = form.querySelector("input[name=score], textarea[name=feedback]");
    if (first && document.activeElement === document.body) first.focus();
  });
  form.dataset.ready = "true";
}
