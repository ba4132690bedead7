// The painting page: paint where the image should change, then Send posts a mask (a PNG of the
// image's size, transparent where painted, opaque elsewhere) and the prompt to this page's URL.
// Pointer events cover mouse, pen and touch alike. No framework, no build step.
"use strict";
(function () {
  const main = document.querySelector("main[data-labels]");
  const labels = JSON.parse(main.dataset.labels);
  const photo = document.getElementById("photo");
  const strokes = document.getElementById("strokes");
  const stage = document.getElementById("stage");
  const context = strokes.getContext("2d");
  const size = document.getElementById("size");
  const status = document.getElementById("status");
  const buttons = Object.fromEntries(
    ["brush", "eraser", "undo", "redo", "invert", "clear", "zoom-out", "zoom-fit", "zoom-in", "submit"].map(
      (id) => [id, document.getElementById(id)]
    )
  );
  const undone = [];
  const history = [];
  const HISTORY = 30;
  let erasing = false;
  let zoom = 1;
  let last = null;

  function snapshot() {
    history.push(context.getImageData(0, 0, strokes.width, strokes.height));
    if (history.length > HISTORY) history.shift();
    undone.length = 0;
    refresh();
  }

  function refresh() {
    buttons.undo.disabled = history.length === 0;
    buttons.redo.disabled = undone.length === 0;
    buttons.brush.setAttribute("aria-pressed", String(!erasing));
    buttons.eraser.setAttribute("aria-pressed", String(erasing));
  }

  function setZoom(value) {
    zoom = Math.min(4, Math.max(0.05, value));
    const width = Math.round(photo.naturalWidth * zoom) + "px";
    photo.style.width = width;
    strokes.style.width = width;
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

  function paint(from, to) {
    context.globalCompositeOperation = erasing ? "destination-out" : "source-over";
    context.strokeStyle = "#ff2d6f";
    context.fillStyle = "#ff2d6f";
    context.lineWidth = Number(size.value);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.beginPath();
    if (from.x === to.x && from.y === to.y) {
      context.arc(to.x, to.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
    } else {
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
    }
  }

  strokes.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    strokes.setPointerCapture(event.pointerId);
    snapshot();
    last = point(event);
    paint(last, last);
  });
  strokes.addEventListener("pointermove", (event) => {
    if (last === null) return;
    event.preventDefault();
    const here = point(event);
    paint(last, here);
    last = here;
  });
  for (const end of ["pointerup", "pointercancel", "lostpointercapture"]) {
    strokes.addEventListener(end, () => {
      last = null;
    });
  }

  buttons.brush.addEventListener("click", () => { erasing = false; refresh(); });
  buttons.eraser.addEventListener("click", () => { erasing = true; refresh(); });
  buttons.undo.addEventListener("click", () => {
    if (!history.length) return;
    undone.push(context.getImageData(0, 0, strokes.width, strokes.height));
    context.putImageData(history.pop(), 0, 0);
    refresh();
  });
  buttons.redo.addEventListener("click", () => {
    if (!undone.length) return;
    history.push(context.getImageData(0, 0, strokes.width, strokes.height));
    context.putImageData(undone.pop(), 0, 0);
    refresh();
  });
  buttons.clear.addEventListener("click", () => {
    snapshot();
    context.clearRect(0, 0, strokes.width, strokes.height);
  });
  buttons.invert.addEventListener("click", () => {
    const before = context.getImageData(0, 0, strokes.width, strokes.height);
    snapshot();
    const after = context.createImageData(strokes.width, strokes.height);
    for (let index = 0; index < before.data.length; index += 4) {
      const painted = before.data[index + 3] >= 128;
      after.data.set(painted ? [0, 0, 0, 0] : [255, 45, 111, 255], index);
    }
    context.putImageData(after, 0, 0);
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

  function anythingPainted() {
    const pixels = context.getImageData(0, 0, strokes.width, strokes.height).data;
    for (let index = 3; index < pixels.length; index += 4) if (pixels[index] >= 128) return true;
    return false;
  }

  document.getElementById("send").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!anythingPainted()) {
      status.textContent = labels.nothing;
      return;
    }
    buttons.submit.disabled = true;
    status.textContent = labels.sending;
    mask().toBlob(async (blob) => {
      const form = new FormData();
      form.append("prompt", document.getElementById("prompt").value);
      form.append("mask", blob, "mask.png");
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
  });

  function ready() {
    strokes.width = photo.naturalWidth;
    strokes.height = photo.naturalHeight;
    fit();
    refresh();
    document.body.dataset.ready = "true";
  }
  if (photo.complete && photo.naturalWidth) ready(); else photo.addEventListener("load", ready);
  window.addEventListener("resize", () => { if (zoom <= 1) fit(); });
})();
