// Buttons marked data-print open the browser's print dialog (the page has print styles). Without
// JavaScript the button stays hidden and the browser's own Print command does the same.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
