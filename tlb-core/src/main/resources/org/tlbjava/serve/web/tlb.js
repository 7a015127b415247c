// Shared helpers of the tlb pages: JSON fetching, element building, SVG line charts.
const tlb = (() => {
  async function json(url, options) {
    const response = await fetch(url, options);
    const body = await response.json();
    if (!response.ok) {
      throw new Error(body.message || ('HTTP ' + response.status));
    }
    return body;
  }

  // el('td', {class: 'x'}, 'text', childNode, ...)
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.forEach(c => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  }

  function percent(value) {
    return value == null ? '–' : (100 * value).toFixed(1) + ' %';
  }

  function showError(error) {
    const box = document.getElementById('error');
    box.textContent = String(error.message || error);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attributes).forEach(([k, v]) => node.setAttribute(k, v));
    return node;
  }

  // A line chart of values per epoch: series = [{name, colour, values}], one <circle class="point"> per value.
  function lineChart(title, epochs, series) {
    const W = 480, H = 260, L = 48, R = 12, T = 24, B = 34;
    const values = series.flatMap(s => s.values).filter(v => v != null && isFinite(v));
    let lo = Math.min(...values, Infinity), hi = Math.max(...values, -Infinity);
    if (!values.length) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const maxEpoch = Math.max(epochs.length ? epochs[epochs.length - 1] : 1, 2);
    const x = e => L + (W - L - R) * (e - 1) / (maxEpoch - 1);
    const y = v => T + (H - T - B) * (hi - v) / (hi - lo);
    const chart = svg('svg', {width: W, height: H, class: 'chart', 'data-title': title});
    const heading = svg('text', {x: L, y: 16}); heading.textContent = title; chart.append(heading);
    for (let i = 0; i <= 4; i++) {
      const v = lo + (hi - lo) * i / 4;
      chart.append(svg('line', {x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid'}));
      const label = svg('text', {x: L - 6, y: y(v) + 4, 'text-anchor': 'end'}); label.textContent = v.toFixed(3);
      chart.append(label);
    }
    const step = Math.max(1, Math.ceil(maxEpoch / 10));
    for (let e = 1; e <= maxEpoch; e += step) {
      const label = svg('text', {x: x(e), y: H - B + 16, 'text-anchor': 'middle'}); label.textContent = e;
      chart.append(label);
    }
    const caption = svg('text', {x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle'}); caption.textContent = 'epoch';
    chart.append(caption);
    chart.append(svg('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}));
    chart.append(svg('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}));
    for (const s of series) {
      const points = epochs.map((e, i) => [e, s.values[i]]).filter(([, v]) => v != null && isFinite(v));
      chart.append(svg('polyline', {points: points.map(([e, v]) => x(e) + ',' + y(v)).join(' '),
        fill: 'none', stroke: s.colour, 'stroke-width': 2}));
      for (const [e, v] of points) {
        const dot = svg('circle', {cx: x(e), cy: y(v), r: 3.5, fill: s.colour, class: 'point', 'data-series': s.name});
        const tip = svg('title', {}); tip.textContent = s.name + ' epoch ' + e + ': ' + v.toFixed(4); dot.append(tip);
        chart.append(dot);
      }
    }
    const figure = el('div');
    figure.append(chart);
    const legend = el('div', {class: 'legend'});
    series.forEach(s => legend.append(el('span', {style: 'color:' + s.colour}, '● ' + s.name)));
    figure.append(legend);
    return figure;
  }

  return {json, el, percent, showError, lineChart};
})();
