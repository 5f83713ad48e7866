// The student's hand-in form (templates/assignments/family_assignment.html): what was typed is kept on this
// device while it is typed (put back after a reload or a crash, until a hand-in replaces it), the chosen
// files are listed with their sizes (and those over the school's limits named before sending), and the
// button is pressed once only (a second press would send the same hand-in again and be refused as stale).

const form = document.querySelector("form.js-hand-in");

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode, or storage switched off: typing still works, it is just not kept
  }
}

if (form) {
  const store = storage();
  const key = form.dataset.draftKey || "";
  const prefix = key.replace(/-\d+$/, "-");
  const text = form.querySelector("textarea[name=text]");
  const note = form.querySelector(".js-draft-note");
  if (store && key) {
    // Drafts typed against an earlier hand-in are stale once a newer one was handed in.
    for (let i = store.length - 1; i >= 0; i -= 1) {
      const other = store.key(i);
      if (other && other.startsWith(prefix) && other !== key) store.removeItem(other);
    }
    const draft = store.getItem(key);
    if (text && draft !== null && draft !== text.value && text.value.trim() === text.defaultValue.trim()) {
      text.value = draft;
      if (note) note.hidden = false;
    }
    if (text) {
      text.addEventListener("input", () => {
        try {
          store.setItem(key, text.value);
        } catch {
          // Quota full: nothing to do, the form still holds the text.
        }
      });
    }
  }

  const input = form.querySelector("input[type=file]");
  const list = form.querySelector(".js-chosen-files");
  if (input && list) {
    input.addEventListener("change", () => {
      list.replaceChildren();
      const maxFile = Number(input.dataset.maxFileBytes || 0);
      const maxTotal = Number(input.dataset.maxTotalBytes || 0);
      const maxFiles = Number(input.dataset.maxFiles || 0);
      let total = 0;
      for (const file of input.files) {
        total += file.size;
        const item = document.createElement("li");
        item.textContent = `${file.name} (${formatSize(file.size)})`;
        if (maxFile && file.size > maxFile) {
          item.classList.add("text-danger");
          item.textContent += ` — ${input.dataset.tooLarge || "too large"}`;
        }
        list.append(item);
      }
      if ((maxTotal && total > maxTotal) || (maxFiles && input.files.length > maxFiles)) {
        const item = document.createElement("li");
        item.classList.add("text-danger");
        item.textContent = input.dataset.overLimits || "Over the hand-in's limits";
        list.append(item);
      }
    });
  }

  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", () => {
    if (button) {
      // After the browser has taken the submission: disabling first would drop the button from it.
      window.setTimeout(() => {
        button.disabled = true;
      }, 0);
    }
  });
  // Back to the page from the history: the button works again.
  window.addEventListener("pageshow", () => {
    if (button) button.disabled = false;
  });
}
