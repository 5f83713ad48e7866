// The report builder (templates/reports/builder/build.html): a filter's value input follows the field chosen
// for it, as the list pages ask for that kind of value: a list of the column's choices, a date picker, yes or
// no, a number (text with a decimal keyboard) or text. The inputs come from the page's
// <template data-filter-value="KEY"> (forms_builder.value_inputs); without this script the value stays as the
// server drew it and the filter still works (the server reads the value by the column's kind).
const form = document.querySelector("form[data-report-builder]");
if (form) {
  const inputs = new Map(
    [...document.querySelectorAll("template[data-filter-value]")].map((t) => [t.dataset.filterValue, t]),
  );
  form.addEventListener("change", (event) => {
    const match = /^filter_(\d+)_field$/.exec(event.target.name || "");
    if (!match) return;
    const old = form.elements.namedItem(`filter_${match[1]}_value`);
    const template = inputs.get(event.target.value) || inputs.get("");
    if (!old || !template) return;
    const input = template.content.firstElementChild.cloneNode(true);
    input.name = old.name;
    input.id = old.id;
    for (const name of ["aria-describedby", "aria-invalid"]) {
      if (old.hasAttribute(name)) input.setAttribute(name, old.getAttribute(name));
    }
    // What was typed stays when the new input can hold it (a list keeps it only if it is one of its choices).
    if (input.tagName !== "SELECT" || [...input.options].some((option) => option.value === old.value)) {
      input.value = old.value;
    }
    old.replaceWith(input);
  });
}
