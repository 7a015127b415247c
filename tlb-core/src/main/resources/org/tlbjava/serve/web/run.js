// A run's page: status, loss/accuracy curves, confusion matrix, attention grid, config. Served, it
// polls the run while it trains; in a report (tlb report) the data is embedded and nothing is fetched.
(() => {
  const { el } = tlb;
  const HINTS = {
    confusion: 'No confusion matrix yet: tlb evaluate --model RUN_DIR writes one.',
    attention: 'No attention grid yet: tlb attention --model RUN_DIR writes one.'
  };

  function render(run) {
    document.title = 'tlb run ' + run.name;
    document.getElementById('name').textContent = run.name;
    const status = document.getElementById('status');
    status.replaceChildren(el('span', {class: 'state-' + run.state}, run.state), ' · variant ' + run.variant
      + ' · ' + run.epochs + ' of ' + run.planned_epochs + ' epochs · best val accuracy '
      + tlb.percent(run.best_val_accuracy) + ' · ' + run.classes.length + ' classes');
    const tryLink = document.getElementById('try-link');
    tryLink.href = 'try.html?model=' + encodeURIComponent(run.name);
    tryLink.hidden = !run.has_model;
    const epochs = run.history.map(h => h.epoch);
    const column = key => run.history.map(h => h[key]);
    document.getElementById('charts').replaceChildren(
      tlb.lineChart('loss', epochs, [
        {name: 'loss', colour: '#4f46e5', values: column('loss')},
        {name: 'val_loss', colour: '#f59e0b', values: column('val_loss')}]),
      tlb.lineChart('accuracy', epochs, [
        {name: 'accuracy', colour: '#4f46e5', values: column('accuracy')},
        {name: 'val_accuracy', colour: '#f59e0b', values: column('val_accuracy')}]));
    document.getElementById('pictures').replaceChildren(...['confusion', 'attention'].map(kind => run.images[kind]
      ? el('figure', {}, el('img', {src: run.images[kind], alt: kind, id: kind + '-image'}),
        el('figcaption', {class: 'muted'}, kind === 'confusion'
          ? 'rows: true class, columns: predicted' : 'attention over validation images: true / predicted class'))
      : el('p', {class: 'muted'}, HINTS[kind])));
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
