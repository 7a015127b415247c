// A run's page: status, curves per epoch and per step, confusion matrix, attention grid, config. Served,
// it polls the run while it trains; in a report (tlb report) the data is embedded and nothing is fetched.
(() => {
  const { el } = tlb;
  const HINTS = {
    confusion: 'No confusion matrix yet: tlb evaluate --model RUN_DIR writes one.',
    attention: 'No attention grid yet: tlb attention --model RUN_DIR writes one.'
  };
  const TRAIN = '#4f46e5', VAL = '#f59e0b';

  function charts(history) {
    const epoch = key => tlb.epochPoints(history, key);
    const steps = key => tlb.stepPoints(history, key);
    const rates = steps('step_learning_rates');
    const list = [
      tlb.lineChart('loss', 'epoch', [{name: 'loss', colour: TRAIN, points: epoch('loss')},
        {name: 'val_loss', colour: VAL, points: epoch('val_loss')}]),
      tlb.lineChart('accuracy', 'epoch', [{name: 'accuracy', colour: TRAIN, points: epoch('accuracy')},
        {name: 'val_accuracy', colour: VAL, points: epoch('val_accuracy')}]),
      rates.length
        ? tlb.lineChart('learning rate', 'step', [{name: 'learning_rate', colour: TRAIN, points: rates}])
        : tlb.lineChart('learning rate', 'epoch', [{name: 'learning_rate', colour: TRAIN, points: epoch('learning_rate')}])];
    const losses = steps('step_losses');
    if (losses.length) {
      list.push(tlb.lineChart('loss per step', 'step', [{name: 'step_loss', colour: TRAIN, points: losses}]));
    }
    return list;
  }

  // The counts as a table: rows the true class, columns the prediction, each cell shaded by its share of the row.
  function confusionTable(c) {
    const names = c.classes;
    const head = el('tr', {}, el('th', {class: 'corner'}, 'true \\ predicted'),
      ...names.map(n => el('th', {scope: 'col'}, n)), el('th', {scope: 'col'}, 'accuracy'));
    const rows = c.confusion.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      return el('tr', {}, el('th', {scope: 'row'}, names[t]), ...row.map((count, p) => {
        const share = total ? count / total : 0;
        return el('td', {class: share > 0.5 ? 'dark' : '', style: 'background:rgba(79,70,229,' + share.toFixed(3) + ')',
          title: 'true ' + names[t] + ', predicted ' + names[p] + ': ' + count + ' of ' + total + ' images ('
            + tlb.percent(share) + ' of the row)'}, count);
      }), el('td', {class: 'row-accuracy'}, tlb.percent(total ? row[t] / total : null)));
    });
    return el('table', {class: 'confusion', id: 'confusion-table'},
      el('caption', {}, (c.run ? c.run + ', ' : '') + c.split + ' split: ' + c.images + ' images, accuracy '
        + tlb.percent(c.accuracy)),
      el('thead', {}, head), el('tbody', {}, ...rows));
  }

  function confusion(run) {
    if (run.confusion) {
      const png = run.images.confusion ? [' · ', el('a', {href: run.images.confusion, download: 'confusion.png'}, 'as a PNG')] : [];
      return el('figure', {}, confusionTable(run.confusion), el('figcaption', {class: 'muted'},
        'rows: true class, columns: predicted; shading: share of the row', ...png));
    }
    return run.images.confusion // a run evaluated before the counts were kept
      ? el('figure', {}, el('img', {src: run.images.confusion, alt: 'confusion matrix', id: 'confusion-image'}),
        el('figcaption', {class: 'muted'}, 'rows: true class, columns: predicted'))
      : el('p', {class: 'muted'}, HINTS.confusion);
  }

  function attention(run) {
    return run.images.attention
      ? el('figure', {}, el('img', {src: run.images.attention, alt: 'attention', id: 'attention-image'}),
        el('figcaption', {class: 'muted'}, 'attention over validation images: true / predicted class'))
      : el('p', {class: 'muted'}, HINTS.attention);
  }

  function render(run) {
    document.title = 'tlb run ' + run.name;
    document.getElementById('name').textContent = run.name;
    document.getElementById('status').replaceChildren(el('span', {class: 'state-' + run.state}, run.state),
      ' · started ' + tlb.when(run.started) + ' · trained ' + tlb.duration(run.seconds) + ' · variant ' + run.variant
      + ' · ' + run.epochs + ' of ' + run.planned_epochs + ' epochs · best val accuracy '
      + tlb.percent(run.best_val_accuracy) + ' · ' + run.classes.length + ' classes');
    const live = document.getElementById('live');
    live.hidden = !run.progress;
    if (run.progress) {
      live.replaceChildren(tlb.progressBar(run.progress), ' ', el('span', {id: 'live-text'}, tlb.progressText(run.progress)));
    }
    const tryLink = document.getElementById('try-link');
    tryLink.href = 'try.html?model=' + encodeURIComponent(run.name);
    tryLink.hidden = !run.has_model;
    document.getElementById('charts').replaceChildren(...charts(run.history));
    document.getElementById('pictures').replaceChildren(confusion(run), attention(run));
    document.getElementById('config').replaceChildren(...Object.entries(run.config)
      .map(([k, v]) => el('div', {}, k + ' = ' + JSON.stringify(v))));
  }

  const embedded = document.getElementById('run-data');
  if (embedded) {
    render(JSON.parse(embedded.textContent));
    document.querySelectorAll('.nav').forEach(a => a.hidden = true); // a report stands alone
    return;
  }
  const params = new URLSearchParams(location.search);
  const name = params.get('name');
  const every = Number(params.get('poll')) || 3000;
  async function refresh() {
    const run = await tlb.json('/api/runs/' + encodeURIComponent(name));
    render(run);
    if (run.state === 'training') {
      setTimeout(() => refresh().catch(tlb.showError), every);
    }
  }
  if (!name) {
    tlb.showError('No run given: open run.html?name=RUN from the runs list.');
  } else {
    refresh().catch(tlb.showError);
  }
})();
