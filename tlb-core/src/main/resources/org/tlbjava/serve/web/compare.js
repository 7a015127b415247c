// Several runs overlaid: compare?runs=a,b,c. One colour per run; validation curves dashed. Below, the
// config keys whose values differ between the runs.
(() => {
  const { el } = tlb;
  const COLOURS = ['#4f46e5', '#f59e0b', '#059669', '#dc2626', '#0891b2', '#7c3aed', '#65a30d', '#db2777',
    '#475569', '#ea580c'];

  // One chart: a curve per run (and a dashed one per run for `dashedKey`), points from `points(history, key)`.
  function overlay(runs, title, xLabel, points, key, dashedKey) {
    const series = runs.flatMap(run => [
      {name: run.name + ' ' + key, run: run.name, colour: run.colour, points: points(run.history, key)},
      ...(dashedKey ? [{name: run.name + ' ' + dashedKey, run: run.name, colour: run.colour, dashed: true,
        points: points(run.history, dashedKey)}] : [])]);
    return tlb.lineChart(title, xLabel, series);
  }

  function configDifferences(runs) {
    const keys = [...new Set(runs.flatMap(run => Object.keys(run.config)))].sort();
    const text = (run, key) => key in run.config ? JSON.stringify(run.config[key]) : '–';
    const differing = keys.filter(key => new Set(runs.map(run => text(run, key))).size > 1);
    if (!differing.length) {
      return el('p', {class: 'muted'}, 'The runs have the same config.');
    }
    return el('table', {id: 'config-table'},
      el('thead', {}, el('tr', {}, el('th', {}, 'key'), ...runs.map(run => el('th', {style: 'color:' + run.colour}, run.name)))),
      el('tbody', {}, ...differing.map(key => el('tr', {'data-key': key}, el('th', {scope: 'row'}, key),
        ...runs.map(run => el('td', {}, text(run, key)))))));
  }

  async function load(names) {
    const answers = await Promise.allSettled(names.map(name => tlb.json('/api/runs/' + encodeURIComponent(name))));
    const failed = answers.map((a, i) => a.status === 'rejected' ? names[i] + ': ' + a.reason.message : null).filter(Boolean);
    if (failed.length) {
      tlb.showError(failed.join('; '));
    }
    const runs = answers.filter(a => a.status === 'fulfilled').map((a, i) => ({...a.value, colour: COLOURS[i % COLOURS.length]}));
    document.title = 'tlb: compare ' + runs.map(run => run.name).join(', ');
    document.getElementById('runs').replaceChildren(...runs.map(run => el('span', {style: 'color:' + run.colour},
      '● ', el('a', {href: 'run.html?name=' + encodeURIComponent(run.name), style: 'color:inherit'}, run.name),
      ' (' + run.state + ', ' + run.epochs + ' of ' + run.planned_epochs + ' epochs, best val accuracy '
        + tlb.percent(run.best_val_accuracy) + ')')));
    const epochs = tlb.epochPoints, steps = tlb.stepPoints;
    document.getElementById('epoch-charts').replaceChildren(
      overlay(runs, 'loss (dashed: val_loss)', 'epoch', epochs, 'loss', 'val_loss'),
      overlay(runs, 'accuracy (dashed: val_accuracy)', 'epoch', epochs, 'accuracy', 'val_accuracy'),
      overlay(runs, 'learning rate', 'epoch', epochs, 'learning_rate'));
    document.getElementById('step-charts').replaceChildren(
      overlay(runs, 'loss per step', 'step', steps, 'step_losses'),
      overlay(runs, 'learning rate per step', 'step', steps, 'step_learning_rates'));
    document.getElementById('config-diff').replaceChildren(configDifferences(runs));
  }

  const names = (new URLSearchParams(location.search).get('runs') || '').split(',').map(s => s.trim()).filter(Boolean);
  if (!names.length) {
    tlb.showError('No runs given: tick runs in the runs list, or open compare?runs=RUN1,RUN2.');
  } else {
    load(names).catch(tlb.showError);
  }
})();
