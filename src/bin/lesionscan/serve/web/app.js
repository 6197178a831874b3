// LesionScan page: send the chosen picture to this machine's LesionScan server and show
// what the model says. Everything the server returns is put in the page as text, never
// as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("form");
  const input = $("image");
  const drop = $("drop");
  const chosen = $("chosen");
  const button = $("predict");
  const status = $("status");
  const errorBox = $("error");
  const result = $("result");
  let maxUpload = null;

  // Words for the quality report's codes; unknown codes are shown as they come.
  const ISSUE_WORDS = {
    blurry: "The picture looks blurred: hold still and let the camera focus.",
    too_dark: "The picture is too dark.",
    too_bright: "The picture is too bright (overexposed).",
    glare: "There is glare (bright reflections) on the skin.",
    no_lesion: "No lesion was found in the picture.",
    off_centre: "The lesion is not in the centre of the picture.",
    off_center: "The lesion is not in the centre of the picture.",
    too_small: "The lesion is too small in the picture: move closer.",
  };
  const MEASURE_WORDS = {
    sharpness: "Sharpness",
    exposure: "Mean brightness (0 to 1)",
    glare: "Share of glare",
    lesion_coverage: "Share of the picture the lesion covers",
    lesion_offset: "Distance of the lesion from the centre",
  };

  const percent = (p) => (p * 100).toFixed(1) + " %";
  const words = (code) => String(code).replace(/_/g, " ");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    status.textContent = "";
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  function sizeText(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / (1024 * 1024)).toFixed(1) + " MiB";
    if (bytes >= 1024) return (bytes / 1024).toFixed(0) + " KiB";
    return bytes + " bytes";
  }

  function describeChoice() {
    const file = input.files && input.files[0];
    chosen.textContent = file ? "Chosen: " + file.name + " (" + sizeText(file.size) + ")" : "";
  }

  // --- the model -------------------------------------------------------------------
  function addInfo(list, term, value) {
    if (value === undefined || value === null || value === "") return;
    list.append(el("dt", null, term), el("dd", null, String(value)));
  }

  async function loadModel() {
    const list = $("model-info");
    try {
      const response = await fetch("/api/model", { cache: "no-store" });
      const info = await response.json();
      if (!response.ok) throw new Error(info.error ? info.error.message : response.statusText);
      const card = info.card || {};
      maxUpload = info.max_upload_bytes || null;
      list.replaceChildren();
      addInfo(list, "Model", card.id + (card.version ? " (version " + card.version + ")" : ""));
      addInfo(list, "Runs on", info.accelerator + " (" + info.engine + ")");
      if (card.input) addInfo(list, "Looks at", card.input.width + " × " + card.input.height + " pixels");
      addInfo(list, "Classes", (card.classes || []).map((c) => c.code + " " + c.name).join(", "));
      const provenance = card.provenance || {};
      for (const [key, value] of Object.entries(provenance)) {
        // Short text facts here; the whole record (licence text, hashes) below.
        if (typeof value === "string" && value.length <= 300) addInfo(list, words(key), value);
      }
      if (Object.keys(provenance).length > 0) {
        $("provenance").textContent = JSON.stringify(provenance, null, 2);
        $("provenance-details").hidden = false;
      }
      $("metadata-note").hidden = Boolean(card.metadata_input);
    } catch (e) {
      list.replaceChildren();
      addInfo(list, "Model", "could not be read: " + e.message);
    }
  }

  // --- the result ------------------------------------------------------------------
  function renderQuality(quality) {
    const list = $("quality");
    list.replaceChildren();
    if (!quality || quality.assessed === false) {
      list.append(el("li", null, "Not assessed by this version of LesionScan."));
      return;
    }
    const issues = Array.isArray(quality.issues) ? quality.issues : [];
    if (quality.usable === false) {
      list.append(el("li", "problem", "Not good enough to judge: take the picture again."));
    } else if (issues.length === 0) {
      list.append(el("li", null, "No quality problem found."));
    }
    for (const issue of issues) {
      list.append(el("li", "problem", ISSUE_WORDS[issue] || words(issue)));
    }
    for (const [key, value] of Object.entries(quality)) {
      if (typeof value !== "number") continue;
      const shown = Number.isInteger(value) ? String(value) : value.toFixed(3);
      list.append(el("li", null, (MEASURE_WORDS[key] || words(key)) + ": " + shown));
    }
  }

  function render(data) {
    const preview = data.preview || {};
    const img = $("preview");
    const description =
      "The picture as the model sees it: " + preview.width + " × " + preview.height +
      " pixels, made from the upright " + preview.source_width + " × " + preview.source_height +
      " picture.";
    img.src = preview.data_url || "";
    img.width = preview.width || 0;
    img.height = preview.height || 0;
    img.alt = description;
    $("preview-caption").textContent = description;

    const categories = data.categories || [];
    const list = $("classes");
    list.replaceChildren();
    for (const c of categories) {
      const item = el("li", c.malignant ? "malignant" : null);
      item.dataset.code = c.code;
      const name = el("span", "name", c.name);
      if (c.malignant) name.append(el("span", "tag", "malignant"));
      const bar = el("span", "bar");
      bar.setAttribute("aria-hidden", "true");
      const fill = el("span", "fill");
      fill.style.width = Math.max(0, Math.min(100, c.probability * 100)).toFixed(2) + "%";
      bar.append(fill);
      item.append(el("span", "code", c.code), name, el("span", "pct", percent(c.probability)), bar);
      list.append(item);
    }
    const top = categories[0];
    $("top").textContent = top
      ? "Most probable: " + top.name + " (" + top.code + "), " + percent(top.probability)
      : data.quality && data.quality.usable === false
        ? "Not classified: the picture is not good enough to judge (see its quality below)."
        : "No class passed the filters.";
    $("malignant").textContent =
      "Malignant classes together: " + percent(data.malignant_probability);
    renderQuality(data.quality);
    const quality = data.quality || {};
    const warning = $("quality-warning");
    const unusable = quality.assessed === true && quality.usable === false;
    warning.hidden = !unusable;
    warning.textContent = unusable
      ? "This picture is not good enough to judge (" +
        (quality.issues || []).map(words).join(", ") +
        "), so the result is unreliable: take the picture again."
      : "";
    const t = data.timings || {};
    const ms = ((t.preprocess_us || 0) + (t.inference_us || 0) + (t.postprocess_us || 0)) / 1000;
    $("run").textContent =
      "Model " + data.model_id + " on " + data.accelerator + " (" + data.engine + "), " +
      ms.toFixed(0) + " ms. File: " + data.file + ".";
    $("result-disclaimer").textContent = data.disclaimer || "";
    result.hidden = false;
    status.textContent =
      (top
        ? "Result ready. Most probable: " + top.name + ", " + percent(top.probability) +
          ". Malignant classes together: " + percent(data.malignant_probability) + "."
        : "Result ready.") + (unusable ? " " + warning.textContent : "");
    result.focus();
  }

  // --- sending ---------------------------------------------------------------------
  async function classify(event) {
    event.preventDefault();
    clearError();
    const file = input.files && input.files[0];
    if (!file) {
      showError("Choose a picture first.");
      input.focus();
      return;
    }
    if (maxUpload && file.size > maxUpload) {
      showError("This picture is " + sizeText(file.size) + "; this server takes pictures up to " +
        sizeText(maxUpload) + ".");
      return;
    }
    const body = new FormData();
    body.append("image", file, file.name);
    for (const name of ["age", "sex", "site"]) body.append(name, form.elements[name].value);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.textContent = "Classifying…";
    try {
      const response = await fetch("/api/classify", { method: "POST", body, cache: "no-store" });
      let data = null;
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
      if (!response.ok || !data || data.error) {
        const message = data && data.error ? data.error.message : "the server answered " + response.status;
        showError("Could not classify this picture: " + message);
        return;
      }
      render(data);
    } catch (e) {
      showError("Could not reach the LesionScan server on this computer (" + e.message + ").");
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // --- dropping a picture ----------------------------------------------------------
  function takeDropped(event) {
    event.preventDefault();
    drop.classList.remove("over");
    const files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length === 0) return;
    const transfer = new DataTransfer();
    transfer.items.add(files[0]);
    input.files = transfer.files;
    describeChoice();
    clearError();
  }

  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", takeDropped);
  // A picture dropped elsewhere must not make the browser leave the page.
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => event.preventDefault());

  input.addEventListener("change", () => {
    describeChoice();
    clearError();
  });
  form.addEventListener("submit", classify);
  loadModel();
})();
