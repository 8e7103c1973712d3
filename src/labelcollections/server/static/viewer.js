// The labelcollections viewer: image list, deep zoom with label overlays, provenance, compare.
// Everything comes from the JSON API of the same server; tiles are rendered server-side.
"use strict";

const $ = (selector) => document.querySelector(selector);

// State of the open image; `window.labelViewer` exposes it for scripting and tests.
const state = {
  image: null,          // /api/images/{id}
  labels: new Map(),    // label image id -> summary
  visible: new Set(),   // ids of shown overlays, in the order they were switched on
  items: new Map(),     // id -> OpenSeadragon TiledImage of the main viewer
  selected: null,       // label image id whose provenance is shown
  plane: { z: 0, t: 0 },
  compare: null,        // {a, b, iou, mode, result}
  viewers: [],
};
window.labelViewer = {
  state,
  viewers: () => state.viewers,
  fullyLoaded: () =>
    state.viewers.length > 0 &&
    state.viewers.every((v) => {
      const count = v.world.getItemCount();
      for (let i = 0; i < count; i++) if (!v.world.getItemAt(i).getFullyLoaded()) return false;
      return count > 0;
    }),
  imageToPage(x, y, index = 0) {
    const viewer = state.viewers[index];
    const point = viewer.world.getItemAt(0).imageToViewerElementCoordinates(
      new OpenSeadragon.Point(x, y));
    const box = viewer.element.getBoundingClientRect();
    return { x: box.left + point.x, y: box.top + point.y };
  },
};

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function showStatus(message) {
  $("#status").textContent = message || "";
}

async function api(path) {
  const response = await fetch(path);
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || `${response.status} ${path}`);
  return body;
}

function rgba(colour) {
  return `rgba(${colour[0]}, ${colour[1]}, ${colour[2]}, ${(colour[3] / 255).toFixed(2)})`;
}

function number(value) {
  return typeof value === "number" && !Number.isInteger(value) ? value.toFixed(3) : String(value);
}

function query(parameters) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) search.set(key, value);
  return search.toString();
}

// -- routing -----------------------------------------------------------------------------------

async function route() {
  showStatus("");
  const match = location.hash.match(/^#\/image\/(.+)$/);
  const plate = location.hash.match(/^#\/plate\/(.+)$/);
  try {
    if (match) await openImage(decodeURIComponent(match[1]));
    else if (plate) await openPlate(decodeURIComponent(plate[1]));
    else await listImages();
  } catch (error) {
    showStatus(error.message);
  }
}

// -- image list --------------------------------------------------------------------------------

function showPage(id) {
  for (const page of ["#images-page", "#plate-page", "#viewer-page"]) $(page).hidden = page !== id;
}

async function listImages() {
  closeViewers();
  showPage("#images-page");
  $("#crumb").textContent = "";
  const [all, plates] = await Promise.all([api("/api/images"), api("/api/plates")]);
  // The fields of plates are reached through their plate's grid.
  const images = all.filter((image) => !image.plate);
  $("#plates-section").hidden = plates.length === 0;
  $("#plate-list").replaceChildren(...plates.map((plate) =>
    element("li", { "data-plate": plate.name },
      element("a", { href: `#/plate/${encodeURIComponent(plate.name)}` },
        element("div", { class: "name" }, plate.name),
        element("div", { class: "muted size" },
          `${plate.rows.length} × ${plate.columns.length} plate, ${plate.well_count} wells, ` +
          `${plate.field_count} fields`),
        element("div", { class: "muted counts" },
          plate.collections.length ? `collections: ${plate.collections.join(", ")}` : "no collections"),
      ),
    )));
  const list = $("#image-list");
  list.replaceChildren(
    ...images.map((image) =>
      element("li", { "data-image": image.name },
        element("a", { href: `#/image/${encodeURIComponent(image.id)}` },
          element("img", { src: image.thumbnail, alt: `thumbnail of ${image.name}`, loading: "lazy" }),
          element("div", { class: "name" }, image.name),
          element("div", { class: "muted size" },
            `${image.shape.join(" × ")} (${image.axis_names.join("")}), ${image.dtype}`),
          element("div", { class: "muted counts" },
            `${image.collection_count} collection${image.collection_count === 1 ? "" : "s"}, ` +
            `${image.label_image_count} label image${image.label_image_count === 1 ? "" : "s"}`),
        ),
      ),
    ),
  );
  if (images.length === 0) list.append(element("li", { class: "muted" }, "No images yet."));
}

// -- plate -------------------------------------------------------------------------------------

// A plate as a grid of wells: each well shows its first field's thumbnail and opens it; the
// numbers under it open the other fields.
async function openPlate(name) {
  closeViewers();
  const plate = await api(`/api/plates/${encodeURIComponent(name)}`);
  showPage("#plate-page");
  $("#crumb").textContent = `/ ${plate.name}`;
  $("#plate-title").textContent = `Plate ${plate.name}`;
  $("#plate-meta").textContent =
    `${plate.well_count} wells, ${plate.field_count} fields` +
    (plate.collections.length ? `; collections: ${plate.collections.join(", ")}` : "");
  const wells = new Map(plate.wells.map((well) => [well.path, well]));
  const head = element("tr", {}, element("th"), plate.columns.map((c) => element("th", {}, c)));
  const rows = plate.rows.map((row) => element("tr", {}, element("th", {}, row),
    plate.columns.map((column) => {
      const well = wells.get(`${row}/${column}`);
      if (!well || well.fields.length === 0) return element("td", { class: "empty" });
      const first = well.fields[0];
      return element("td", { class: "well", "data-well": well.path },
        element("a", { href: `#/image/${encodeURIComponent(first.id)}`, title: first.name },
          element("img", { src: first.thumbnail, alt: `well ${well.path}`, loading: "lazy" })),
        element("div", { class: "fields" }, well.fields.map((field, index) =>
          element("a", { href: `#/image/${encodeURIComponent(field.id)}`, "data-field": index,
            title: `${field.name}: ${field.label_image_count} label images` }, String(index)))));
    })));
  $("#plate-grid").replaceChildren(head, ...rows);
}

// -- viewer ------------------------------------------------------------------------------------

function tileSource(urlOf) {
  const image = state.image;
  const [height, width] = image.shape.slice(-2);
  const maxLevel = Math.ceil(Math.log2(Math.max(width, height, 2)));
  return {
    width,
    height,
    tileSize: image.tile_size,
    tileOverlap: 0,
    minLevel: Math.max(0, maxLevel - image.levels.length + 1),
    maxLevel,
    // OpenSeadragon counts levels up from the smallest; the pyramid counts down from level 0.
    getTileUrl: (level, x, y) => urlOf(maxLevel - level, x, y),
  };
}

function imageTiles() {
  const id = encodeURIComponent(state.image.id);
  const plane = query(state.plane);
  return tileSource((level, x, y) => `/api/images/${id}/tiles/${level}/${x}/${y}.png?${plane}`);
}

function labelTiles(labelId) {
  const mode = document.querySelector("input[name=mode]:checked").value;
  const parameters = query({ mode, ...state.plane });
  return tileSource((level, x, y) =>
    `/api/labels/${encodeURIComponent(labelId)}/tiles/${level}/${x}/${y}.png?${parameters}`);
}

function compareTiles(compare) {
  const parameters = query({ a: compare.a, b: compare.b, iou: compare.iou, ...state.plane });
  return tileSource((level, x, y) => `/api/compare/tiles/${level}/${x}/${y}.png?${parameters}`);
}

function makeViewer(elementId) {
  const viewer = OpenSeadragon({
    id: elementId,
    drawer: "canvas",
    showNavigationControl: false,
    imageSmoothingEnabled: false,
    maxZoomPixelRatio: 16,
    visibilityRatio: 0.5,
    animationTime: 0.4,
    gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
    tileSources: imageTiles(),
  });
  new OpenSeadragon.MouseTracker({
    element: viewer.canvas,
    moveHandler: (event) => pointerMoved(viewer, event.position),
    leaveHandler: () => pointerMoved(viewer, null),
  });
  return viewer;
}

function closeViewers() {
  for (const viewer of state.viewers) viewer.destroy();
  state.viewers = [];
  state.items.clear();
}

async function openImage(id) {
  const image = await api(`/api/images/${encodeURIComponent(id)}`);
  closeViewers();
  state.image = image;
  state.labels = new Map();
  state.visible = new Set();
  state.selected = null;
  state.compare = null;
  state.plane = { z: 0, t: 0 };
  for (const collection of image.collections) {
    for (const label of collection.label_images) state.labels.set(label.id, label);
  }
  showPage("#viewer-page");
  const where = image.plate;
  $("#crumb").replaceChildren(...(where
    ? [element("a", { href: `#/plate/${encodeURIComponent(where.plate)}` }, `/ ${where.plate}`),
      ` / well ${where.row}${where.column} / field ${where.field}`]
    : [`/ ${image.name}`]));
  $("#image-title").textContent = image.name;
  $("#image-meta").textContent =
    `${image.shape.join(" × ")} (${image.axis_names.join("")}), ${image.dtype}, ` +
    `${image.levels.length} level${image.levels.length === 1 ? "" : "s"}`;
  renderOverlayList();
  renderPlaneControls();
  renderCompareChoices();
  showComparePanels(false);
  $("#hover-body").textContent = "Move the pointer over the image.";
  $("#provenance-body").textContent = "Select a label image.";
  state.viewers = [makeViewer("viewer-a")];
  const first = [...state.labels.values()][0];
  if (first) await selectLabel(first.id);
}

function swatch(label) {
  const coloured = label.legend.filter((entry) => entry.color[3] > 0);
  if (label.label_type !== "semantic" || coloured.length === 0) {
    return element("span", { class: "swatch instances", title: "one colour per object" });
  }
  const stops = coloured.map((entry) => rgba(entry.color)).join(", ");
  const background = coloured.length === 1 ? stops : `linear-gradient(90deg, ${stops})`;
  return element("span", {
    class: "swatch",
    style: `background: ${background}`,
    title: coloured.map((entry) => entry.name || entry.value).join(", "),
  });
}

function renderOverlayList() {
  const groups = state.image.collections.map((collection) =>
    element("fieldset", { class: "collection", "data-collection": collection.name },
      element("legend", {}, collection.name),
      collection.label_images.map((label) =>
        element("div", { class: "overlay", "data-label": label.id, "data-key": label.key },
          element("input", {
            type: "checkbox",
            title: `show ${label.key}`,
            "aria-label": `show ${label.key} of ${collection.name}`,
            onchange: (event) => toggleOverlay(label.id, event.target.checked),
          }),
          swatch(label),
          element("button", {
            type: "button",
            class: "name",
            onclick: () => selectLabel(label.id).catch((error) => showStatus(error.message)),
          }, label.key),
          element("span", { class: "type" }, label.label_type),
        ),
      ),
    ),
  );
  if (groups.length === 0) groups.push(element("p", { class: "muted" }, "No label images."));
  $("#overlay-groups").replaceChildren(...groups);
}

function renderPlaneControls() {
  const controls = [];
  for (const axis of ["z", "t"]) {
    const count = state.image.planes[axis];
    if (count <= 1) continue;
    const output = element("output", {}, "0");
    controls.push(element("label", { class: "row" }, axis,
      element("input", {
        type: "range", min: 0, max: count - 1, value: 0, step: 1,
        oninput: (event) => {
          state.plane[axis] = Number(event.target.value);
          output.textContent = event.target.value;
          redraw();
        },
      }),
      output,
    ));
  }
  $("#plane-controls").replaceChildren(...controls);
}

function opacity() {
  return Number($("#opacity").value);
}

function addItem(viewer, tiles, onAdded, fixedOpacity) {
  viewer.addTiledImage({
    tileSource: tiles,
    opacity: fixedOpacity === undefined ? opacity() : fixedOpacity,
    success: (event) => onAdded && onAdded(event.item),
    error: (event) => showStatus(event.message || "could not add a layer"),
  });
}

function toggleOverlay(id, shown) {
  for (const box of document.querySelectorAll(`.overlay[data-label="${id}"] input`)) {
    box.checked = shown;
  }
  if (shown) {
    state.visible.add(id);
    selectLabel(id).catch((error) => showStatus(error.message));
  } else {
    state.visible.delete(id);
  }
  if (!state.compare) syncOverlays();
}

// Make the main viewer's overlays match `state.visible`, in the order they were switched on.
function syncOverlays() {
  const viewer = state.viewers[0];
  if (!viewer) return;
  for (const [id, item] of state.items) {
    if (!state.visible.has(id)) {
      viewer.world.removeItem(item);
      state.items.delete(id);
    }
  }
  for (const id of state.visible) {
    if (state.items.has(id)) continue;
    state.items.set(id, null);
    addItem(viewer, labelTiles(id), (item) => {
      if (state.items.get(id) === null && state.visible.has(id)) state.items.set(id, item);
      else viewer.world.removeItem(item);
    });
  }
}

// Rebuild every layer (after a change of mode or plane); OpenSeadragon keeps the order of adds.
function redraw() {
  for (const viewer of state.viewers) {
    viewer.world.removeAll();
    addItem(viewer, imageTiles(), null, 1);
  }
  state.items.clear();
  if (state.compare) showCompareLayers();
  else syncOverlays();
}

// -- pointer -----------------------------------------------------------------------------------

let pointerRequest = 0;
let pointerTimer = null;

function pointerMoved(viewer, position) {
  clearTimeout(pointerTimer);
  if (position === null) return;
  pointerTimer = setTimeout(
    () => lookUp(viewer, position).catch((error) => showStatus(error.message)), 40);
}

function shownLabels() {
  if (state.compare) return [state.compare.a, state.compare.b];
  return [...state.visible];
}

async function lookUp(viewer, position) {
  const item = viewer.world.getItemAt(0);
  if (!item) return;
  const point = item.viewerElementToImageCoordinates(position);
  const [height, width] = state.image.shape.slice(-2);
  const x = Math.floor(point.x);
  const y = Math.floor(point.y);
  const body = $("#hover-body");
  if (x < 0 || y < 0 || x >= width || y >= height) return;
  const request = ++pointerRequest;
  const ids = shownLabels();
  if (ids.length === 0) {
    body.replaceChildren(element("div", { class: "muted" }, `x ${x}, y ${y}: no label image shown`));
    return;
  }
  const hits = await Promise.all(ids.map((id) =>
    api(`/api/labels/${encodeURIComponent(id)}/at?${query({ x, y, ...state.plane })}`)));
  if (request !== pointerRequest) return;
  body.replaceChildren(
    element("div", { class: "muted", id: "hover-position" }, `x ${x}, y ${y}`),
    ...hits.map(describeHit),
  );
}

function describeHit(hit) {
  const fields = [
    ["value", hit.value],
    ["instance id", hit.instance_id || "—"],
    ["class", hit.class || "—"],
  ];
  const table = element("dl", {}, fields.map(([name, value]) =>
    [element("dt", {}, name), element("dd", { "data-field": name }, String(value))]));
  const rows = hit.row
    ? element("table", { class: "row-table" },
      Object.entries(hit.row).map(([name, value]) =>
        element("tr", {}, element("th", {}, name), element("td", {}, number(value)))))
    : null;
  return element("div", { class: "hit", "data-label": hit.label_image, "data-value": hit.value },
    element("div", { class: "title" },
      element("span", { class: "swatch", style: `background: ${rgba(hit.color)}` }), hit.key),
    table,
    rows,
  );
}

// -- provenance --------------------------------------------------------------------------------

async function selectLabel(id) {
  state.selected = id;
  for (const row of document.querySelectorAll(".overlay")) {
    row.classList.toggle("selected", row.dataset.label === id);
  }
  const info = await api(`/api/labels/${encodeURIComponent(id)}/provenance`);
  if (state.selected !== id) return;
  const p = info.provenance;
  const software = p.software ? `${p.software}${p.software_version ? ` ${p.software_version}` : ""}` : null;
  const model = p.model_name
    ? `${p.model_name}${p.model_version ? ` ${p.model_version}` : ""}` : null;
  const fields = [
    ["label image", info.key],
    ["method", p.method],
    ["software", software],
    ["author", p.author],
    ["created", p.created],
    ["model", model],
    ["model sha256", p.model_sha256],
    ["training data", p.training_data],
    ["derived from", info.derived_from ? info.derived_from.key : null],
    ["collections", info.collections.join(", ")],
    ["content hash", p.content_hash],
  ].filter(([, value]) => value);
  const parameters = p.parameters
    ? [element("h3", {}, "Parameters"), element("pre", {}, JSON.stringify(p.parameters, null, 2))]
    : [];
  $("#provenance-body").replaceChildren(
    element("dl", {}, fields.map(([name, value]) =>
      [element("dt", {}, name), element("dd", { "data-field": name }, value)])),
    ...parameters,
    element("h3", { style: "margin-top: 12px" }, "Lineage"),
    element("ol", { class: "lineage" }, info.lineage.map((entry) =>
      element("li", { class: entry.id === id ? "current" : null },
        `${entry.key} · ${entry.method} · ${entry.created.slice(0, 19).replace("T", " ")}`))),
  );
  $("#provenance-body").classList.remove("muted");
}

// -- compare -----------------------------------------------------------------------------------

function renderCompareChoices() {
  const labels = [...state.labels.values()];
  const options = () => labels.map((label) => element("option", { value: label.id }, label.key));
  $("#compare-a").replaceChildren(...options());
  $("#compare-b").replaceChildren(...options());
  // Default: the two versions of one segmentation, or the first two label images.
  const derived = labels.find((label) => label.provenance.derived_from &&
    state.labels.has(label.provenance.derived_from));
  if (derived) {
    $("#compare-a").value = derived.provenance.derived_from;
    $("#compare-b").value = derived.id;
  } else if (labels.length > 1) {
    $("#compare-b").value = labels[1].id;
  }
}

function showComparePanels(open) {
  $("#compare-close").hidden = !open;
  $("#metrics").hidden = !open;
  $("#pane-b").hidden = true;
  $("#title-a").hidden = true;
}

async function openCompare() {
  const compare = {
    a: $("#compare-a").value,
    b: $("#compare-b").value,
    iou: Number($("#compare-iou").value),
    mode: document.querySelector("input[name=compare-mode]:checked").value,
  };
  if (compare.a === compare.b) {
    showStatus("choose two different label images to compare");
    return;
  }
  showStatus("comparing…");
  compare.result = await api(`/api/compare?${query({ a: compare.a, b: compare.b, iou: compare.iou })}`);
  showStatus("");
  state.compare = compare;
  showComparePanels(true);
  renderMetrics(compare);
  showCompareLayers();
}

function closeCompare() {
  state.compare = null;
  showComparePanels(false);
  for (const viewer of state.viewers.slice(1)) viewer.destroy();
  state.viewers = state.viewers.slice(0, 1);
  redraw();
}

function clearLayers(viewer) {
  while (viewer.world.getItemCount() > 1) viewer.world.removeItem(viewer.world.getItemAt(1));
}

function showCompareLayers() {
  const compare = state.compare;
  const main = state.viewers[0];
  clearLayers(main);
  state.items.clear();
  const a = state.labels.get(compare.a);
  const b = state.labels.get(compare.b);
  if (compare.mode === "side-by-side") {
    $("#pane-b").hidden = false;
    $("#title-a").hidden = false;
    $("#title-a").textContent = `A: ${a.key}`;
    $("#title-b").textContent = `B: ${b.key}`;
    if (state.viewers.length < 2) {
      state.viewers.push(makeViewer("viewer-b"));
      linkViewers(state.viewers[0], state.viewers[1]);
    }
    clearLayers(state.viewers[1]);
    addItem(main, labelTiles(compare.a));
    addItem(state.viewers[1], labelTiles(compare.b));
  } else {
    for (const viewer of state.viewers.slice(1)) viewer.destroy();
    state.viewers = state.viewers.slice(0, 1);
    $("#pane-b").hidden = true;
    $("#title-a").hidden = false;
    $("#title-a").textContent = `A: ${a.key} · B: ${b.key}`;
    addItem(main, compareTiles(compare));
  }
}

// Keep two viewers on the same region while either is moved.
function linkViewers(first, second) {
  let syncing = false;
  const follow = (source, target) => () => {
    if (syncing) return;
    syncing = true;
    target.viewport.zoomTo(source.viewport.getZoom(), null, true);
    target.viewport.panTo(source.viewport.getCenter(), true);
    syncing = false;
  };
  first.addHandler("viewport-change", follow(first, second));
  second.addHandler("viewport-change", follow(second, first));
  second.addHandler("open", follow(first, second));
}

function renderMetrics(compare) {
  const result = compare.result;
  const a = state.labels.get(compare.a);
  const b = state.labels.get(compare.b);
  const parts = [element("p", {}, `A = ${a.key} (reference), B = ${b.key}, IoU ≥ ${compare.iou}`)];
  if (result.metrics) {
    const m = result.metrics;
    parts.push(element("div", { class: "legend" },
      element("span", {}, element("i", { class: "swatch matched" }), `matched ${m.matched}`),
      element("span", {}, element("i", { class: "swatch missed" }), `missed ${m.missed}`),
      element("span", {}, element("i", { class: "swatch extra" }), `extra ${m.extra}`)));
    const rows = [
      ["objects in A", m.objects_a],
      ["objects in B", m.objects_b],
      ["matched", m.matched],
      ["missed", m.missed],
      ["extra", m.extra],
      ["precision", m.precision],
      ["recall", m.recall],
      ["F1", m.f1],
      ["mean IoU (matched)", m.mean_matched_iou],
      ["average precision", m.average_precision],
      ["splits", Object.keys(result.splits || {}).length],
      ["merges", Object.keys(result.merges || {}).length],
    ];
    parts.push(element("table", { id: "metrics-table" }, rows.map(([name, value]) =>
      element("tr", { "data-metric": name }, element("th", {}, name), element("td", {}, number(value))))));
  }
  if (result.classes) {
    parts.push(element("table", { id: "class-table" },
      element("tr", {}, ["class", "Dice", "IoU"].map((name) => element("th", {}, name))),
      result.classes.map((c) => element("tr", {},
        element("td", {}, c.name || String(c.value)),
        element("td", {}, number(c.dice)),
        element("td", {}, number(c.iou))))));
  }
  $("#metrics-body").replaceChildren(...parts);
}

// -- wiring ------------------------------------------------------------------------------------

function start() {
  window.addEventListener("hashchange", route);
  $("#opacity").addEventListener("input", () => {
    $("#opacity-value").textContent = opacity().toFixed(2);
    for (const viewer of state.viewers) {
      const count = viewer.world.getItemCount();
      for (let i = 1; i < count; i++) viewer.world.getItemAt(i).setOpacity(opacity());
    }
  });
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", redraw);
  }
  for (const radio of document.querySelectorAll("input[name=compare-mode]")) {
    radio.addEventListener("change", () => {
      if (!state.compare) return;
      state.compare.mode = radio.value;
      showCompareLayers();
    });
  }
  $("#compare-open").addEventListener("click", () => openCompare().catch((e) => showStatus(e.message)));
  $("#compare-close").addEventListener("click", closeCompare);
  route();
}

start();
