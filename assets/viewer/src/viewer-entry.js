// Browser entry of the report viewer, bundled with NiiVue into ../niivue-viewer.min.js by
// scripts/build-viewer.mjs. It reads the JSON block #nb-viewer-config written by the report
// builder: a template and the maps (base64 .nii.gz), each with its colour map and thresholds.
import { Niivue, NVImage, SLICE_TYPE } from '@niivue/niivue';

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

async function start() {
  const cfgEl = document.getElementById('nb-viewer-config');
  const canvas = document.getElementById('nb-viewer');
  if (!cfgEl || !canvas) return;
  const cfg = JSON.parse(cfgEl.textContent);
  const status = document.getElementById('nb-viewer-status');
  const coord = document.getElementById('nb-crosshair');
  const picker = document.getElementById('nb-map-select');
  const nv = new Niivue({
    backColor: [0, 0, 0, 1],
    crosshairColor: [0.2, 0.9, 0.2, 1],
    show3Dcrosshair: true,
    isColorbar: true,
    multiplanarForceRender: true,
    loadingText: 'loading',
    dragAndDropEnabled: false,
    isResizeCanvas: true,
  });
  const api = { nv, ready: false, mapId: null };
  const labelOf = new Map(cfg.maps.map((m) => [m.id, m.name]));
  window.nbViewer = api;
  try {
    await nv.attachToCanvas(canvas);
    nv.setSliceType(SLICE_TYPE.MULTIPLANAR);
    nv.opts.multiplanarShowRender = 1; // always show the 3-D render tile
    const tpl = await NVImage.loadFromBase64({ base64: cfg.template.base64, name: 'template.nii.gz', colormap: 'gray', opacity: 1, cal_min: cfg.template.calMin, cal_max: cfg.template.calMax, trustCalMinMax: true });
    tpl.colorbarVisible = false;
    nv.addVolume(tpl);
    const loaded = new Map();
    const loadMap = async (m) => {
      if (loaded.has(m.id)) return loaded.get(m.id);
      const img = await NVImage.loadFromBase64({
        base64: m.base64,
        name: `${m.id}.nii.gz`, // NiiVue picks the reader by the name's extension
        colormap: m.colormap,
        opacity: m.opacity ?? 0.9,
        cal_min: m.calMin,
        cal_max: m.calMax,
        trustCalMinMax: true,
        colormapNegative: m.colormapNegative ?? '',
        cal_minNeg: m.colormapNegative ? -m.calMax : undefined,
        cal_maxNeg: m.colormapNegative ? -m.calMin : undefined,
      });
      if (m.colormapNegative) img.colormapNegative = m.colormapNegative;
      loaded.set(m.id, img);
      return img;
    };
    const show = async (id) => {
      const m = cfg.maps.find((x) => x.id === id) ?? cfg.maps[0];
      if (!m) return;
      for (const v of nv.volumes.slice(1)) nv.removeVolume(v);
      const img = await loadMap(m);
      nv.addVolume(img);
      img.cal_min = m.calMin;
      img.cal_max = m.calMax;
      if (m.colormapNegative) {
        img.colormapNegative = m.colormapNegative;
        img.cal_minNeg = -m.calMax;
        img.cal_maxNeg = -m.calMin;
      }
      nv.updateGLVolume();
      api.mapId = m.id;
      if (picker) picker.value = m.id;
      const legend = document.getElementById('nb-map-legend');
      if (legend) legend.textContent = m.legend ?? '';
      report();
    };
    const mm = () => Array.from(nv.frac2mm(nv.scene.crosshairPos, 0, true)).slice(0, 3);
    const report = () => {
      const p = mm();
      let value = '';
      const over = nv.volumes[1];
      if (over) {
        const vox = over.mm2vox(p);
        const v = over.getValue(vox[0], vox[1], vox[2], 0);
        if (Number.isFinite(v)) value = ` · ${labelOf.get(api.mapId) ?? ''}: ${fmt(v)}`;
      }
      if (coord) coord.textContent = `MNI (${p.map((x) => x.toFixed(1)).join(', ')}) mm${value}`;
      canvas.dataset.mni = p.map((x) => x.toFixed(1)).join(',');
    };
    nv.onLocationChange = () => report();
    api.crosshairMm = mm;
    api.show = show;
    api.jump = (x, y, z) => {
      nv.scene.crosshairPos = nv.mm2frac([x, y, z], 0, true);
      nv.drawScene();
      report();
    };
    if (picker) picker.addEventListener('change', () => show(picker.value));
    for (const row of document.querySelectorAll('[data-peak-mm]')) {
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') (e.preventDefault(), row.click());
      });
      row.addEventListener('click', async () => {
        const [x, y, z] = row.dataset.peakMm.split(',').map(Number);
        if (row.dataset.map && row.dataset.map !== api.mapId) await show(row.dataset.map);
        api.jump(x, y, z);
        for (const r of document.querySelectorAll('tr.nb-selected')) r.classList.remove('nb-selected');
        row.classList.add('nb-selected');
        canvas.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      });
    }
    await show(cfg.initialMap);
    if (cfg.initialMm) api.jump(...cfg.initialMm);
    api.ready = true;
    canvas.dataset.ready = '1';
    if (status) status.textContent = '';
  } catch (err) {
    canvas.dataset.ready = 'error';
    console.error(err && err.stack ? err.stack : String(err));
    if (status) status.textContent = `The interactive viewer could not start here (${err && err.message ? err.message : err}); the static images below show the same maps.`;
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
