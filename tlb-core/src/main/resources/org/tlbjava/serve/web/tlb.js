// Shared helpers of the tlb pages: JSON fetching, element building, SVG line charts, times and live progress.
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

  // A number for an axis or a tooltip: small rates (1e-4) in exponent form, the rest with 3 decimals.
  function number(v) {
    return v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : v.toFixed(3);
  }

  // [[epoch, value]] of a history key, per epoch.
  function epochPoints(history, key) {
    return history.map(h => [h.epoch, h[key]]);
  }

  // [[step, value]] of a per-step history list (step_losses, step_learning_rates), steps counted across
  // epochs; empty when an epoch lacks the list (older runs), since its steps cannot be placed.
  function stepPoints(history, key) {
    if (!history.length || !history.every(h => Array.isArray(h[key]))) {
      return [];
    }
    let step = 0;
    return history.flatMap(h => h[key].map(v => [++step, v]));
  }

  // A line chart: series = [{name, colour, points: [[x, y]], dashed, run}]; one <polyline data-series data-run>
  // per series, and one <circle class="point"> per value where a series has few (per-epoch values).
  function lineChart(title, xLabel, series) {
    const W = 480, H = 260, L = 56, R = 12, T = 24, B = 34, MARKED = 100;
    series = series.map(s => ({...s, points: s.points.filter(([, v]) => v != null && isFinite(v))}));
    const xs = series.flatMap(s => s.points.map(p => p[0]));
    const values = series.flatMap(s => s.points.map(p => p[1]));
    let lo = Math.min(...values, Infinity), hi = Math.max(...values, -Infinity);
    if (!values.length) { lo = 0; hi = 1; }
    if (hi - lo < 1e-12) { lo -= Math.abs(lo) * 0.5 || 0.5; hi += Math.abs(hi) * 0.5 || 0.5; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const x0 = Math.min(...xs, 1), x1 = Math.max(...xs, x0 + 1);
    const x = v => L + (W - L - R) * (v - x0) / (x1 - x0);
    const y = v => T + (H - T - B) * (hi - v) / (hi - lo);
    const chart = svg('svg', {width: W, height: H, class: 'chart', 'data-title': title});
    const text = (attributes, content) => { const t = svg('text', attributes); t.textContent = content; chart.append(t); };
    text({x: L, y: 16}, title);
    for (let i = 0; i <= 4; i++) {
      const v = lo + (hi - lo) * i / 4;
      chart.append(svg('line', {x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid'}));
      text({x: L - 6, y: y(v) + 4, 'text-anchor': 'end'}, number(v));
    }
    const step = Math.max(1, Math.ceil((x1 - x0) / 8));
    for (let v = x0; v <= x1; v += step) {
      text({x: x(v), y: H - B + 16, 'text-anchor': 'middle'}, v);
    }
    text({x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle'}, xLabel);
    chart.append(svg('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}));
    chart.append(svg('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}));
    for (const s of series) {
      const line = svg('polyline', {points: s.points.map(([e, v]) => x(e) + ',' + y(v)).join(' '), fill: 'none',
        stroke: s.colour, 'stroke-width': 2, 'data-series': s.name, 'data-run': s.run || ''});
      if (s.dashed) {
        line.setAttribute('stroke-dasharray', '5 3');
      }
      chart.append(line);
      if (s.points.length <= MARKED) {
        for (const [e, v] of s.points) {
          const dot = svg('circle', {cx: x(e), cy: y(v), r: 3.5, fill: s.colour, class: 'point', 'data-series': s.name});
          const tip = svg('title', {}); tip.textContent = s.name + ' ' + xLabel + ' ' + e + ': ' + v.toFixed(4); dot.append(tip);
          chart.append(dot);
        }
      }
    }
    const figure = el('div');
    figure.append(chart);
    const legend = el('div', {class: 'legend'});
    series.forEach(s => legend.append(el('span', {style: 'color:' + s.colour}, (s.dashed ? '- - ' : '● ') + s.name)));
    figure.append(legend);
    return figure;
  }

  // "2 h 05 min", "3 min 20 s", "12 s"; '–' when unknown.
  function duration(seconds) {
    if (seconds == null || !(seconds >= 0)) {
      return '–';
    }
    const s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    if (h) return h + ' h ' + String(m).padStart(2, '0') + ' min';
    return m ? m + ' min ' + (s % 60) + ' s' : s + ' s';
  }

  // An ISO instant as the reader's local "2025-03-01 14:07"; '–' when unknown.
  function when(iso) {
    if (!iso) {
      return '–';
    }
    const d = new Date(iso), two = n => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' ' + two(d.getHours()) + ':'
      + two(d.getMinutes());
  }

  // A live run's place in its epoch and when it ends, from its progress (progress.json).
  function progressText(p) {
    const place = 'epoch ' + p.epoch + ' of ' + p.epochs + ': ' + (p.phase === 'validate' ? 'validating'
      : 'step ' + p.step + ' of ' + p.steps + (p.step ? ' · loss ' + p.loss.toFixed(4) + ' · accuracy '
        + p.accuracy.toFixed(4) : ''));
    if (!(p.seconds_left >= 0)) {
      return place + ' · ETA after the first step';
    }
    const ends = new Date(Date.parse(p.updated) + 1000 * p.seconds_left);
    return place + ' · ETA ' + when(ends.toISOString()).slice(11) + ' (' + duration(p.seconds_left) + ' left)';
  }

  // A <progress> bar of the steps done in a live run's epoch.
  function progressBar(p) {
    return el('progress', {class: 'epoch-progress', max: p.steps, value: p.step});
  }

  return {json, el, percent, showError, lineChart, epochPoints, stepPoints, duration, when, progressText, progressBar};
})();
