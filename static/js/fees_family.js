// The family fees page: "Pay selected" shows the total of the ticked invoices and is disabled until one is
// ticked. Only a convenience: the server decides what is charged (it ignores anything but the invoice ids),
// and without this script the form still works (the server answers "choose at least one invoice").

const form = document.getElementById("pay-form");
if (form && form.querySelector("input[name=invoice]")) setUp(form);

function setUp(form) {
  const button = form.querySelector("button[type=submit]");
  const label = button.querySelector("[data-pay-label]");
  const places = Number(form.dataset.places || 2);
  const number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    minimumFractionDigits: places,
    maximumFractionDigits: places,
  });
  // Amounts travel as plain decimal strings ("379.50"); summed in minor units, never in floats.
  const minor = (text) => {
    const [whole, fraction = ""] = text.split(".");
    return Number(whole) * 10 ** places + Number((fraction + "00").slice(0, places) || 0);
  };

  function update() {
    const ticked = Array.from(form.querySelectorAll("input[name=invoice]:checked"));
    const total = ticked.reduce((sum, box) => sum + minor(box.dataset.balance), 0);
    button.disabled = ticked.length === 0;
    label.textContent = ticked.length
      ? form.dataset.payTotal.replace("%(amount)s", `${form.dataset.currency} ${number.format(total / 10 ** places)}`)
      : form.dataset.payNone;
  }

  form.addEventListener("change", update);
  update();
}
