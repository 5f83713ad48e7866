// The teacher's homework form: fields that do not apply to the choice made are hidden (the accepted file
// types for typed or paper work, the cut-off and penalty when late work is refused, the maximum score and
// categories of work not graded, the publication time unless it is set for later). Without this script
// every field shows and the server ignores what does not apply. A field showing an error is never hidden.

const RULES = [
  { control: "hand_in", shows: "file", targets: ["#div_id_allowed_extensions"] },
  { control: "late_policy", shows: "accept", targets: ["#div_id_late_until", "#div_id_late_penalty_percent"] },
  { control: "grading", shows: "graded", targets: ["#div_id_max_score", "[id^=div_id_category_]", "#category-help"] },
  { control: "publish", shows: "later", targets: ["#div_id_publish_at"] },
];

function chosen(form, name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`);
  return checked ? checked.value : null;
}

function apply(form) {
  for (const rule of RULES) {
    if (!form.querySelector(`input[name="${rule.control}"]`)) continue;
    const show = chosen(form, rule.control) === rule.shows;
    for (const selector of rule.targets) {
      for (const element of form.querySelectorAll(selector)) {
        element.hidden = !show && !element.querySelector(".is-invalid, .invalid-feedback");
      }
    }
  }
}

for (const form of document.querySelectorAll("form[data-assignment-form]")) {
  apply(form);
  form.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === "radio") apply(form);
  });
}
