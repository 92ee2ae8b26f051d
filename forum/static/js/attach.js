// Images in the post editor (docs/attachments.md): paste or drop an image into the text, or
// pick one with the "Insert an image" button; it is uploaded through the upload page and its
// Markdown line goes where the cursor is. Without this script the forms' file field and the
// upload page do the same job.
(() => {
  "use strict";
  document.querySelectorAll("form[data-attach]").forEach((form) => {
    const body = form.querySelector("textarea");
    const csrf = form.querySelector("input[name=csrf_token]");
    if (!body || !csrf) return;
    const T = form.dataset;
    const status = document.createElement("p");
    status.className = "hint attach-status";
    status.setAttribute("aria-live", "polite");
    const picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/webp";
    picker.hidden = true;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = T.attachPick;
    body.after(button, picker, status);

    function insert(text) {
      const start = body.selectionStart ?? body.value.length;
      const end = body.selectionEnd ?? start;
      const before = body.value.slice(0, start);
      const line = (before && !before.endsWith("\n") ? "\n" : "") + text + "\n";
      body.value = before + line + body.value.slice(end);
      body.selectionStart = body.selectionEnd = before.length + line.length;
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }

    async function send(file) {
      const data = new FormData();
      data.append("csrf_token", csrf.value);
      data.append("file", file, file.name || "image.png");
      status.textContent = T.attachSending;
      try {
        const response = await fetch(T.attach, {
          method: "POST", body: data, credentials: "same-origin",
          headers: {Accept: "application/json"},
        });
        const answer = await response.json().catch(() => null);
        if (!response.ok || !answer || !answer.markdown) {
          const error = answer && answer.error;
          status.textContent = (error && ((error.fields && error.fields.file) || error.message))
            || T.attachFailed;
          return;
        }
        insert(answer.markdown);
        status.textContent = "";
      } catch (_e) {
        status.textContent = T.attachFailed;
      }
    }

    const images = (list) => [...(list || [])].filter((f) => f.type.startsWith("image/"));
    body.addEventListener("paste", (event) => {
      const files = images(event.clipboardData && event.clipboardData.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach(send);
    });
    body.addEventListener("drop", (event) => {
      const files = images(event.dataTransfer && event.dataTransfer.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach(send);
    });
    button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      images(picker.files).forEach(send);
      picker.value = "";
    });
  });
})();
