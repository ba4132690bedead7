// The painting page: paint where the image should change, then Send posts a mask (a PNG of the
// image's size, transparent where painted, opaque elsewhere) and the prompt to this page's URL.
// When the page has a Notes canvas (the model takes markup), the Notes mode draws on it with a pen
// in a few colours, an arrow and a text tool, and Send posts those drawings as `markup` instead: a
// transparent PNG of the image's size. Either the area or the notes are sent, never both.
// Pointer events cover mouse, pen and touch alike. No framework, no build step.
"use strict";
(function () {
  const byId = (id) => document.getElementById(id);
  const main = document.querySelector("main[data-labels]");
  const labels = JSON.parse(main.dataset.labels);
  const photo = byId("photo");
  const strokes = byId("strokes"); // the area to change
  const notes = byId("notes"); // the notes, or null when the model takes no markup
  const stage = byId("stage");
  const size = byId("size");
  const penSize = byId("pen-size");
  const noteText = byId("note-text");
  const status = byId("status");
  const MASK_TOOLS = ["brush", "eraser"];
  const NOTE_TOOLS = ["pen", "arrow", "text"];
  const buttons = Object.fromEntries(
    [...MASK_TOOLS, ...NOTE_TOOLS, "mode-mask", "mode-notes", "undo", "redo", "invert", "clear",
      "zoom-out", "zoom-fit", "zoom-in", "submit"].map((id) => [id, byId(id)])
  );
  const swatches = Array.from(document.querySelectorAll(".swatch"));
  const undone = [];
  const history = [];
  const HISTORY = 30;
  const PAINT = "#ff2d6f";
  let mode = "mask";
  let maskTool = "brush";
  let noteTool = "pen";
  let colour = swatches.length ? swatches[0].dataset.colour : PAINT;
  let zoom = 1;
  let last = null;
  let start = null;
  let before = null; // the notes before an arrow being dragged

  function layer() {
    return mode === "notes" ? notes : strokes;
  }

  function pixelsOf(canvas) {
    return canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  }

  function snapshot() {
    const canvas = layer();
    history.push({ canvas, pixels: pixelsOf(canvas) });
    if (history.length > HISTORY) history.shift();
    undone.length = 0;
    refresh();
  }

  function restore(from, to) {
    const entry = from.pop();
    to.push({ canvas: entry.canvas, pixels: pixelsOf(entry.canvas) });
    entry.canvas.getContext("2d").putImageData(entry.pixels, 0, 0);
    refresh();
  }

  function press(button, on) {
    if (button) button.setAttribute("aria-pressed", String(on));
  }

  function refresh() {
    buttons.undo.disabled = history.length === 0;
    buttons.redo.disabled = undone.length === 0;
    for (const tool of MASK_TOOLS) press(buttons[tool], tool === maskTool);
    for (const tool of NOTE_TOOLS) press(buttons[tool], tool === noteTool);
    for (const swatch of swatches) press(swatch, swatch.dataset.colour === colour);
    if (!notes) return;
    press(buttons["mode-mask"], mode === "mask");
    press(buttons["mode-notes"], mode === "notes");
    byId("mask-tools").hidden = mode !== "mask";
    byId("note-tools").hidden = mode !== "notes";
    notes.classList.toggle("active", mode === "notes");
  }

  function setZoom(value) {
    zoom = Math.min(4, Math.max(0.05, value));
    const width = Math.round(photo.naturalWidth * zoom) + "px";
    for (const element of [photo, strokes, notes]) if (element) element.style.width = width;
  }

  function fit() {
    const room = stage.parentElement.clientWidth || window.innerWidth;
    setZoom(Math.min(1, room / photo.naturalWidth));
  }

  function point(event) {
    const box = strokes.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * strokes.width) / box.width,
      y: ((event.clientY - box.top) * strokes.height) / box.height,
    };
  }

  function line(canvas, from, to, width, ink, erase) {
    const context = canvas.getContext("2d");
    context.globalCompositeOperation = erase ? "destination-out" : "source-over";
    context.strokeStyle = ink;
    context.fillStyle = ink;
    context.lineWidth = width;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    if (from.x === to.x && from.y === to.y) {
      context.arc(to.x, to.y, width / 2, 0, Math.PI * 2);
      context.fill();
    } else {
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
    }
  }

  function stroke(from, to) {
    if (mode === "notes") line(notes, from, to, Number(penSize.value), colour, false);
    else line(strokes, from, to, Number(size.value), PAINT, maskTool === "eraser");
  }

  function arrow(from, to) {
    const width = Number(penSize.value);
    const angle = Math.atan2(to.y - from.y, to.x - from.x);
    const head = Math.max(12, width * 3);
    line(notes, from, to, width, colour, false);
    const context = notes.getContext("2d");
    context.beginPath();
    context.moveTo(to.x + Math.cos(angle) * width, to.y + Math.sin(angle) * width);
    for (const side of [-1, 1]) {
      const turn = angle + side * Math.PI * 0.85;
      context.lineTo(to.x + Math.cos(turn) * head, to.y + Math.sin(turn) * head);
    }
    context.closePath();
    context.fill();
  }

  function write(at) {
    const words = noteText.value.trim();
    if (!words) {
      status.textContent = labels["no-note"];
      return;
    }
    snapshot();
    const context = notes.getContext("2d");
    const pixels = Math.max(16, Number(penSize.value) * 4);
    context.globalCompositeOperation = "source-over";
    context.font = `bold ${pixels}px system-ui, "Noto Sans", "Noto Sans CJK SC", sans-serif`;
    context.textBaseline = "middle";
    context.lineJoin = "round";
    context.lineWidth = Math.max(2, pixels / 8);
    context.strokeStyle = "rgba(0, 0, 0, 0.85)"; // an outline: the note reads on light and dark images
    context.strokeText(words, at.x, at.y);
    context.fillStyle = colour;
    context.fillText(words, at.x, at.y);
    status.textContent = "";
  }

  function down(event) {
    event.preventDefault();
    const here = point(event);
    if (mode === "notes" && noteTool === "text") {
      write(here);
      return;
    }
    event.target.setPointerCapture(event.pointerId);
    snapshot();
    last = start = here;
    if (mode === "notes" && noteTool === "arrow") before = pixelsOf(notes);
    else stroke(here, here);
  }

  function move(event) {
    if (last === null) return;
    event.preventDefault();
    const here = point(event);
    if (before !== null) {
      notes.getContext("2d").putImageData(before, 0, 0);
      if (here.x !== start.x || here.y !== start.y) arrow(start, here);
    } else {
      stroke(last, here);
    }
    last = here;
  }

  function end() {
    last = null;
    before = null;
  }

  for (const canvas of [strokes, notes]) {
    if (!canvas) continue;
    canvas.addEventListener("pointerdown", down);
    canvas.addEventListener("pointermove", move);
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) canvas.addEventListener(name, end);
  }

  function choose(set) {
    return () => { set(); refresh(); };
  }
  for (const tool of MASK_TOOLS) buttons[tool].addEventListener("click", choose(() => { maskTool = tool; }));
  if (notes) {
    for (const tool of NOTE_TOOLS) buttons[tool].addEventListener("click", choose(() => { noteTool = tool; }));
    buttons["mode-mask"].addEventListener("click", choose(() => { mode = "mask"; }));
    buttons["mode-notes"].addEventListener("click", choose(() => { mode = "notes"; }));
    for (const swatch of swatches) {
      swatch.style.backgroundColor = swatch.dataset.colour; // through the DOM: the CSP allows no inline style
      swatch.addEventListener("click", choose(() => { colour = swatch.dataset.colour; }));
    }
  }
  buttons.undo.addEventListener("click", () => { if (history.length) restore(history, undone); });
  buttons.redo.addEventListener("click", () => { if (undone.length) restore(undone, history); });
  buttons.clear.addEventListener("click", () => {
    snapshot();
    const canvas = layer();
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  });
  buttons.invert.addEventListener("click", () => {
    const painted = pixelsOf(strokes);
    snapshot();
    const after = strokes.getContext("2d").createImageData(strokes.width, strokes.height);
    for (let index = 0; index < painted.data.length; index += 4) {
      const inside = painted.data[index + 3] >= 128;
      after.data.set(inside ? [0, 0, 0, 0] : [255, 45, 111, 255], index);
    }
    strokes.getContext("2d").putImageData(after, 0, 0);
  });
  buttons["zoom-in"].addEventListener("click", () => setZoom(zoom * 1.25));
  buttons["zoom-out"].addEventListener("click", () => setZoom(zoom / 1.25));
  buttons["zoom-fit"].addEventListener("click", fit);

  function mask() {
    const out = document.createElement("canvas");
    out.width = strokes.width;
    out.height = strokes.height;
    const ink = out.getContext("2d");
    ink.fillStyle = "#000";
    ink.fillRect(0, 0, out.width, out.height);
    ink.globalCompositeOperation = "destination-out";
    ink.drawImage(strokes, 0, 0);
    return out;
  }

  function drawnOn(canvas) {
    const pixels = pixelsOf(canvas).data;
    for (let index = 3; index < pixels.length; index += 4) if (pixels[index] >= 128) return true;
    return false;
  }

  function send(field, canvas) {
    buttons.submit.disabled = true;
    status.textContent = labels.sending;
    canvas.toBlob(async (blob) => {
      const form = new FormData();
      form.append("prompt", byId("prompt").value);
      form.append(field, blob, field + ".png");
      try {
        const answer = await fetch(window.location.href, {
          method: "POST", body: form, headers: { Accept: "application/json" }, credentials: "omit",
        });
        const body = await answer.json();
        status.textContent = body.message;
        if (!answer.ok) buttons.submit.disabled = answer.status === 410 || answer.status === 403;
      } catch (error) {
        status.textContent = labels.failed;
        buttons.submit.disabled = false;
      }
    }, "image/png");
  }

  byId("send").addEventListener("submit", (event) => {
    event.preventDefault();
    const painted = drawnOn(strokes);
    const noted = notes !== null && drawnOn(notes);
    if (painted && noted) status.textContent = labels.both;
    else if (noted) send("markup", notes);
    else if (painted) send("mask", mask());
    else status.textContent = notes ? labels["nothing-notes"] : labels.nothing;
  });

  function ready() {
    for (const canvas of [strokes, notes]) {
      if (!canvas) continue;
      canvas.width = photo.naturalWidth;
      canvas.height = photo.naturalHeight;
    }
    fit();
    refresh();
    document.body.dataset.ready = "true";
  }
  if (photo.complete && photo.naturalWidth) ready(); else photo.addEventListener("load", ready);
  window.addEventListener("resize", () => { if (zoom <= 1) fit(); });
})();
