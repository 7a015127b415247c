// The runs list: one row per run directory, refreshed while any run trains.
(() => {
  const { el } = tlb;
  async function refresh() {
    const runs = await tlb.json('/api/runs');
    const body = document.querySelector('#runs tbody');
    body.replaceChildren(...runs.map(run => el('tr', {'data-run': run.name},
      el('td', {}, el('a', {href: 'run.html?name=' + encodeURIComponent(run.name)}, run.name)),
      el('td', {}, run.variant || ''),
      el('td', {}, run.error ? '' : run.epochs + ' / ' + run.planned_epochs),
      el('td', {}, tlb.percent(run.best_val_accuracy)),
      el('td', {class: 'state-' + run.state}, run.error ? run.state + ': ' + run.error : run.state),
      el('td', {}, run.has_model ? el('a', {href: 'try.html?model=' + encodeURIComponent(run.name)}, 'try it') : ''))));
    document.getElementById('empty').hidden = runs.length > 0;
    if (runs.some(run => run.state === 'training')) {
      setTimeout(() => refresh().catch(tlb.showError), 5000);
    }
  }
  refresh().catch(tlb.showError);
})();
