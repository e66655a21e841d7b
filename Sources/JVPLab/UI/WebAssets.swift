/// The one stylesheet and one script of `jvplab ui`, hand-written and served from the binary
/// (no front-end libraries, no files read at run time).
enum WebAssets {
  static let style = """
    :root { --fg: #1d2330; --muted: #5b6577; --line: #dde2ea; --bg: #fff; --band: #f5f7fa; --accent: #2358a6;
      --good: #1a7f37; --bad: #c62828; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
    body { margin: 0; color: var(--fg); background: var(--bg); font-size: 14px; line-height: 1.45; }
    header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #17233b; }
    header a { color: #dfe7f5; text-decoration: none; }
    header .brand { font-weight: 700; font-size: 17px; color: #fff; letter-spacing: .02em; }
    header nav { display: flex; gap: 16px; }
    header nav a.active { color: #fff; border-bottom: 2px solid #7fb0ff; }
    main { padding: 18px 24px 40px; max-width: 1400px; }
    h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); }
    h3 { font-size: 14px; margin: 16px 0 6px; }
    a { color: var(--accent); }
    code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
    pre { background: var(--band); border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; overflow-x: auto; }
    table { border-collapse: collapse; }
    th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
    th { background: var(--band); font-weight: 600; position: sticky; top: 0; }
    th a { color: var(--fg); text-decoration: none; } th a:hover { text-decoration: underline; }
    table.runs tbody tr:hover { background: #eef4ff; }
    table.runs td:nth-child(4) code { white-space: pre; }
    .scroll { overflow-x: auto; }
    .number { font-variant-numeric: tabular-nums; }
    .search { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
    input, select, button { font: inherit; padding: 4px 8px; border: 1px solid #b9c2d0; border-radius: 4px; }
    button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
    form.inline { display: inline; }
    details.help { color: var(--muted); margin-bottom: 8px; } details.help p { max-width: 900px; margin: 4px 0; }
    .summary, .note { color: var(--muted); }
    .error { color: var(--bad); } pre.error { background: #fff4f4; border-color: #f1c4c4; }
    .badge, .status, .tag { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 12px; }
    .badge.good, .status.ok { background: #e3f4e8; color: var(--good); }
    .badge.bad, .status.failed { background: #fde7e7; color: var(--bad); }
    .status.interrupted { background: #fff3d6; color: #8a5a00; }
    .tag { background: #eef1f6; color: #344055; }
    h1 .kind { color: var(--muted); font-weight: 500; } h1 .name { color: var(--accent); }
    dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 8px; }
    dl.fields dt { color: var(--muted); } dl.fields dd { margin: 0; }
    section.tensor { border-top: 1px solid var(--line); padding-top: 4px; }
    .shape { color: var(--muted); font-weight: 400; font-family: ui-monospace, Menlo, monospace; }
    a.download { font-weight: 400; font-size: 12px; margin-left: 8px; }
    .tensor-body { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
    .tensor-body pre.values { margin: 0; max-width: 720px; }
    .actions { margin: 8px 0 4px; }
    .tensor-grid { display: flex; flex-wrap: wrap; gap: 8px 48px; align-items: flex-start; }
    .tensor-grid section.tensor { border-top: none; max-width: 420px; }
    .legend { display: inline-block; width: 60px; height: 10px; border: 1px solid var(--line); vertical-align: middle; }
    .legend.diverging { background: linear-gradient(to right, rgb(33,102,172), #f7f7f7, rgb(178,24,43)); }
    .legend.sequential { background: linear-gradient(to right, #fff, rgb(103,0,13)); }
    .maps { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
    figure { margin: 0; } figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 360px; }
    canvas { border: 1px solid var(--line); image-rendering: pixelated; background: repeating-conic-gradient(#f3f3f3 0 25%, #fff 0 50%) 0 0 / 12px 12px; }
    output.readout { display: inline-block; min-width: 220px; margin-left: 8px; color: var(--fg); font-family: ui-monospace, Menlo, monospace; }
    svg.bars rect.pos { fill: #c0392b; } svg.bars rect.neg { fill: #2f6db5; } svg .axis { stroke: #888; }
    svg.samples line { stroke: #2f6db5; stroke-opacity: .6; } svg.samples line.median { stroke: #c0392b; stroke-width: 2; stroke-opacity: 1; }
    svg.plot { background: #fff; } svg.plot text { font-size: 11px; fill: var(--muted); } svg.plot .axis-label { font-size: 13px; fill: var(--fg); }
    svg.plot .grid { stroke: #e6e9ef; } svg.plot .frame { fill: none; stroke: #9aa4b4; }
    pre.diff .add { color: var(--good); } pre.diff .del { color: var(--bad); } pre.diff .hunk { color: var(--muted); }
    span.changed { font-weight: 600; color: #8a5a00; }
    .empty { color: var(--muted); font-style: italic; }
    """

  static let script = """
    // jvplab ui: draws each heatmap canvas from its .npy file, and refreshes the runs table when
    // another process records runs (the server's event stream). The tables work without it.
    (function () {
      'use strict';

      // numpy's .npy v1.0: magic, version, little-endian header length, a dict literal, then the data.
      function parseNpy(buffer) {
        var bytes = new Uint8Array(buffer);
        var headerLength = new DataView(buffer).getUint16(8, true);
        var header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
        var descr = /'descr': '([^']+)'/.exec(header)[1];
        var shape = /'shape': \\(([^)]*)\\)/.exec(header)[1].split(',').filter(function (s) { return s.trim() !== ''; }).map(Number);
        var count = shape.reduce(function (a, b) { return a * b; }, 1);
        var data = buffer.slice(10 + headerLength);
        var values;
        if (descr === '<f4') values = new Float32Array(data, 0, count);
        else if (descr === '<f8') values = new Float64Array(data, 0, count);
        else if (descr === '<i8') values = Float64Array.from(new BigInt64Array(data, 0, count), Number);
        else if (descr === '|b1') values = new Uint8Array(data, 0, count);
        else throw new Error('unsupported .npy dtype ' + descr);
        return Float64Array.from(values);
      }

      // Each .npy is fetched once however many canvases draw it (values and sparsity share one).
      var loaded = {};
      function load(url) {
        if (!loaded[url]) {
          loaded[url] = fetch(url).then(function (response) {
            if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
            return response.arrayBuffer();
          }).then(parseNpy);
        }
        return loaded[url];
      }

      // Diverging: blue for negative, near-white for 0, red for positive, |v| / scale as the strength.
      function diverging(v, scale) {
        if (!isFinite(v)) return v !== v ? [255, 0, 255] : (v > 0 ? [103, 0, 13] : [5, 48, 97]);
        var t = scale > 0 ? Math.min(Math.abs(v) / scale, 1) : 0;
        var end = v < 0 ? [33, 102, 172] : [178, 24, 43];
        return [0, 1, 2].map(function (c) { return Math.round(247 + (end[c] - 247) * Math.sqrt(t)); });
      }

      // Sequential, for |a - b|: white to dark red.
      function sequential(v, scale) {
        if (!isFinite(v)) return [255, 0, 255];
        var t = scale > 0 ? Math.min(v / scale, 1) : 0;
        return [Math.round(255 - 152 * t), Math.round(255 - 255 * t), Math.round(255 - 242 * t)];
      }

      function draw(canvas, values) {
        var started = performance.now();
        var rows = Number(canvas.dataset.rows), cols = Number(canvas.dataset.cols);
        var sparsity = canvas.classList.contains('sparsity');
        var scale = 0;
        for (var i = 0; i < values.length; i++) if (isFinite(values[i])) scale = Math.max(scale, Math.abs(values[i]));
        var image = new ImageData(cols, rows);
        for (var k = 0; k < rows * cols; k++) {
          var v = values[k];
          var rgb = sparsity ? (v !== 0 ? [29, 35, 48] : [255, 255, 255])
            : canvas.dataset.mode === 'absdiff' ? sequential(v, scale) : diverging(v, scale);
          image.data[4 * k] = rgb[0]; image.data[4 * k + 1] = rgb[1]; image.data[4 * k + 2] = rgb[2]; image.data[4 * k + 3] = 255;
        }
        // Square cells of whole pixels up to 28, at least 1, shrunk only when the map would pass 720 pixels.
        var side = Math.max(rows, cols);
        var cell = Math.min(28, Math.max(1, Math.floor(360 / side)));
        if (side * cell > 720) cell = 720 / side;
        canvas.width = Math.max(Math.round(cols * cell), 1);
        canvas.height = Math.max(Math.round(rows * cell), 1);
        var offscreen = document.createElement('canvas');
        offscreen.width = cols; offscreen.height = rows;
        offscreen.getContext('2d').putImageData(image, 0, 0);
        var context = canvas.getContext('2d');
        context.imageSmoothingEnabled = false;
        context.drawImage(offscreen, 0, 0, canvas.width, canvas.height);
        // What was drawn, for people and for the browser test: painted pixels and the scale.
        var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data, painted = 0;
        for (var p = 3; p < pixels.length; p += 4) if (pixels[p] > 0) painted++;
        canvas.dataset.drawn = String(painted);
        canvas.dataset.scale = String(scale);
        canvas.dataset.ms = (performance.now() - started).toFixed(1);
        canvas.title = sparsity ? 'non-zero elements in black' : 'largest |value| ' + scale.toPrecision(4);
        var scaleValue = canvas.closest('figure').querySelector('.scale-value');
        if (scaleValue) scaleValue.textContent = scale.toPrecision(4);
        var readout = canvas.closest('figure').querySelector('output.readout');
        if (!readout) return;
        canvas.addEventListener('mousemove', function (event) {
          var box = canvas.getBoundingClientRect();
          var col = Math.min(Math.floor((event.clientX - box.left) / box.width * cols), cols - 1);
          var row = Math.min(Math.floor((event.clientY - box.top) / box.height * rows), rows - 1);
          readout.textContent = '[' + row + ', ' + col + '] = ' + values[row * cols + col].toPrecision(6);
        });
      }

      document.querySelectorAll('canvas[data-src]').forEach(function (canvas) {
        var loads = [load(canvas.dataset.src)];
        if (canvas.dataset.srcB) loads.push(load(canvas.dataset.srcB));
        Promise.all(loads).then(function (arrays) {
          var values = arrays.length === 1 ? arrays[0] : arrays[0].map(function (a, i) { return Math.abs(a - arrays[1][i]); });
          draw(canvas, values);
        }).catch(function (error) {
          canvas.dataset.error = String(error);
          console.error('jvplab heatmap', error);
        });
      });

      // New runs: the server announces the newest id; the first page of the table is fetched again.
      if (document.querySelector('#runs[data-live]') && window.EventSource) {
        var source = new EventSource('/events');
        source.addEventListener('runs', function (event) {
          var table = document.querySelector('#runs[data-live]');
          var state = JSON.parse(event.data);
          if (!table || !(state.latest > Number(table.dataset.latest))) return;
          fetch(location.href).then(function (response) { return response.text(); }).then(function (html) {
            var fresh = new DOMParser().parseFromString(html, 'text/html');
            var freshTable = fresh.querySelector('#runs'), freshSummary = fresh.querySelector('p.summary');
            if (freshTable) table.replaceWith(freshTable);
            var summary = document.querySelector('p.summary');
            if (summary && freshSummary) summary.replaceWith(freshSummary);
          });
        });
      }
    })();
    """
}
