// The try-it page: send an image to POST /predictions/{model}, show the top classes and the attention map.
(() => {
  const { el } = tlb;
  const select = document.getElementById('model');

  async function loadModels() {
    const { models } = await tlb.json('/models');
    const wanted = new URLSearchParams(location.search).get('model');
    select.replaceChildren(...models.map(m => el('option', {value: m.name}, m.name + ' (' + m.variant
      + ', val accuracy ' + tlb.percent(m.val_accuracy) + ')')));
    if (wanted) {
      select.value = wanted;
    }
    if (!models.length) {
      tlb.showError('No trained model to try yet: a run needs at least one finished epoch.');
    }
  }

  async function classify(file) {
    document.getElementById('error').textContent = '';
    const result = document.getElementById('result');
    result.hidden = true; // until this image's answer is in: nothing stale, nothing broken after an error
    result.querySelectorAll('img').forEach(img => img.removeAttribute('src'));
    const topk = Math.max(1, Number(document.getElementById('topk').value) || 5);
    const answer = await tlb.json('/predictions/' + encodeURIComponent(select.value) + '?attention=true&topk=' + topk,
      {method: 'POST', headers: {'Content-Type': file.type || 'application/octet-stream'}, body: file});
    document.getElementById('preview').src = URL.createObjectURL(file);
    document.getElementById('attention').src = 'data:image/png;base64,' + answer.attention;
    document.getElementById('bars').replaceChildren(...answer.predictions.map(p => el('div', {class: 'bar-row'},
      el('span', {class: 'label'}, p['class']),
      el('span', {class: 'track'}, el('span', {class: 'fill', style: 'display:block;width:' + (100 * p.probability).toFixed(1) + '%'})),
      el('span', {class: 'value'}, tlb.percent(p.probability)))));
    result.hidden = false;
  }

  function take(files) {
    if (files && files.length) {
      classify(files[0]).catch(tlb.showError);
    }
  }

  document.getElementById('file').addEventListener('change', e => take(e.target.files));
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); take(e.dataTransfer.files); });
  loadModels().catch(tlb.showError);
})();
