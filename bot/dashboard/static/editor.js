// Live preview of an answer being edited: the server composes it exactly as the coach would.
(function () {
  const form = document.getElementById("answer-form");
  if (!form) return;
  const show = (id, text) => { document.getElementById(id).textContent = text || ""; };
  let timer = null;
  async function refresh() {
    const response = await fetch(form.dataset.preview, {
      method: "POST", body: new FormData(form), headers: { "X-CSRFToken": form.csrf_token.value },
    });
    const data = await response.json();
    const problems = document.getElementById("preview-problems");
    problems.replaceChildren(...(data.problems || []).map((p) => Object.assign(document.createElement("li"), { textContent: p })));
    if (!data.ok) return;
    show("preview-answer", data.answer);
    show("preview-buttons", data.buttons.join(" · "));
    show("preview-more", data.more);
    show("preview-tip", data.tip);
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  refresh();
})();
