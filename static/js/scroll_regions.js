// Scrolling table wrappers can be scrolled from the keyboard (WCAG 2.1.1): a wrapper wider than the
// screen gets tabindex="0" and a name (its table's caption or label), and loses them again when it fits.
const SELECTOR = ".table-responsive";

function tableName(wrapper) {
  const table = wrapper.querySelector("table");
  if (!table) return "";
  const caption = table.querySelector("caption");
  return table.getAttribute("aria-label") || (caption ? caption.textContent.trim() : "");
}

function update(wrapper) {
  const scrolls = wrapper.scrollWidth > wrapper.clientWidth + 1;
  const added = wrapper.dataset.scrollRegion;  // what this module added, to take back exactly that
  if (scrolls && added === undefined) {
    const adding = [];
    for (const [name, value] of [["tabindex", "0"], ["role", "region"], ["aria-label", tableName(wrapper)]]) {
      if (!value || wrapper.hasAttribute(name)) continue;
      if (name === "aria-label" && wrapper.hasAttribute("aria-labelledby")) continue;
      wrapper.setAttribute(name, value);
      adding.push(name);
    }
    wrapper.dataset.scrollRegion = adding.join(" ");
  } else if (!scrolls && added !== undefined) {
    for (const name of added.split(" ").filter(Boolean)) wrapper.removeAttribute(name);
    delete wrapper.dataset.scrollRegion;
  }
}

function updateAll(root = document) {
  for (const wrapper of root.querySelectorAll(SELECTOR)) update(wrapper);
}

updateAll();
document.body.addEventListener("htmx:afterSettle", () => updateAll());
let pending = null;
window.addEventListener("resize", () => {
  if (pending) cancelAnimationFrame(pending);
  pending = requestAnimationFrame(() => updateAll());
});
