// The runs list: one row per run directory, refreshed while any run trains; ticked runs open /compare.
(() => {
  const { el } = tlb;
  const compare = document.getElementById('compare');
  const picked = () => [...document.querySelectorAll('#runs input.pick:checked')].map(box => box.value);
  const update = () => { compare.disabled = picked().length < 2; };

  function state(run) {
    if (run.error) {
      return run.state + ': ' + run.error;
    }
    return run.progress ? [run.state, el('br'), tlb.progressBar(run.progress), ' ',
      el('span', {class: 'live-text'}, tlb.progressText(run.progress))] : [run.state];
  }

  async function refresh() {
    const runs = await tlb.json('/api/runs');
    const ticked = new Set(picked()); // kept across refreshes
    const body = document.querySelector('#runs tbody');
    body.replaceChildren(...runs.map(run => el('tr', {'data-run': run.name},
      el('td', {}, run.error ? '' : el('input', {type: 'checkbox', class: 'pick', value: run.name,
        'aria-label': 'compare ' + run.name, ...(ticked.has(run.name) ? {checked: ''} : {})})),
      el('td', {}, el('a', {href: 'run.html?name=' + encodeURIComponent(run.name)}, run.name)),
      el('td', {}, run.variant || ''),
      el('td', {class: 'started'}, run.error ? '' : tlb.when(run.started)),
      el('td', {class: 'duration'}, run.error ? '' : tlb.duration(run.seconds)),
      el('td', {}, run.error ? '' : run.epochs + ' / ' + run.planned_epochs),
      el('td', {}, tlb.percent(run.best_val_accuracy)),
      el('td', {class: 'state-' + run.state}, ...[].concat(state(run))),
      el('td', {}, run.has_model ? el('a', {href: 'try.html?model=' + encodeURIComponent(run.name)}, 'try it') : ''))));
    document.getElementById('empty').hidden = runs.length > 0;
    update();
    if (runs.some(run => run.state === 'training')) {
      setTimeout(() => refresh().catch(tlb.showError), 5000);
    }
  }
  document.getElementById('runs').addEventListener('change', update);
  compare.addEventListener('click', () => { location.href = 'compare?runs=' + picked().map(encodeURIComponent).join(','); });
  refresh().catch(tlb.showError);
})();
