// The timetable board (templates/timetable/drafts/review.html): drag a lesson onto another slot to move it.
// While a lesson is held, the slots it may go to are marked (fetched from the lesson's slots URL: only the
// slots where it clashes with nothing); dropping it posts the board's move form, the same form the list of
// free slots posts, so the server checks the move again and refuses a clash (or a stale page) in words, or,
// for a lesson of the published timetable whose registers were taken at its current time, answers with the
// move page asking to confirm first (the registers are kept).
// Without this script every lesson has a Move button leading to that list.

const board = document.querySelector("[data-timetable-board][data-editable]");
const form = document.querySelector("form[data-board-form]");

function cells() {
  return board.querySelectorAll("td[data-weekday][data-period]");
}

function clear() {
  for (const cell of cells()) {
    cell.classList.remove("timetable-slot-free", "table-success");
    delete cell.dataset.free;
    cell.removeAttribute("aria-dropeffect");
  }
}

async function mark(lesson) {
  clear();
  let answer;
  try {
    answer = await fetch(lesson.dataset.slotsUrl, { headers: { Accept: "application/json" } });
  } catch {
    return;
  }
  if (!answer.ok) return;
  const { slots } = await answer.json();
  const free = new Set(slots.map((slot) => `${slot.weekday}:${slot.period}`));
  for (const cell of cells()) {
    if (free.has(`${cell.dataset.weekday}:${cell.dataset.period}`)) {
      cell.dataset.free = "1";
      cell.classList.add("timetable-slot-free", "table-success");
      cell.setAttribute("aria-dropeffect", "move");
    }
  }
}

function move(lesson, cell) {
  form.action = lesson.dataset.moveUrl;
  form.elements.weekday.value = cell.dataset.weekday;
  form.elements.period.value = cell.dataset.period;
  form.submit();
}

if (board && form) {
  let held = null;
  board.addEventListener("dragstart", (event) => {
    const lesson = event.target.closest("[data-lesson]");
    if (!lesson) return;
    held = lesson;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", lesson.dataset.lesson);
    mark(lesson);
  });
  board.addEventListener("dragend", () => {
    held = null;
    clear();
  });
  board.addEventListener("dragover", (event) => {
    const cell = event.target.closest("td[data-weekday]");
    if (held && cell) {
      // Any cell accepts the drop: the server says why a slot that is not marked cannot take the lesson.
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });
  board.addEventListener("drop", (event) => {
    const cell = event.target.closest("td[data-weekday]");
    if (!held || !cell) return;
    event.preventDefault();
    const lesson = held;
    held = null;
    move(lesson, cell);
  });
}
