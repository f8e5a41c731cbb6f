// clip-search web page: talks to the JSON API under api/ (relative URLs, so the page works under any prefix).
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const form = $('#search-form'), q = $('#q'), k = $('#k'), all = $('#all'), file = $('#file'), drop = $('#drop');
  const after = $('#after'), before = $('#before'), sort = $('#sort');
  const results = $('#results'), statusEl = $('#status'), errorEl = $('#error'), queryEl = $('#query');
  const labelsInput = $('#labels'), template = $('#card-template');
  let current = null; // the query the grid shows: {kind: 'text'|'similar'|'image', ...}
  let generation = 0; // ignore answers to queries that were replaced by newer ones
  let total = null; // images in the collection, from api/info

  async function api(path, options) {
    let r;
    try { r = await fetch(path, options); }
    catch (e) { throw new Error('Cannot reach the server: ' + e.message); }
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) throw new Error((body && body.error) || `The server answered ${r.status} ${r.statusText}`);
    return body;
  }

  function showError(msg) {
    errorEl.textContent = msg; errorEl.hidden = !msg;
  }
  function setStatus(msg) { statusEl.textContent = msg; }
  function busy(on) { form.querySelector('button').disabled = on; document.body.classList.toggle('busy', on); }

  function labelList() {
    return labelsInput.value.split(',').map((s) => s.trim()).filter(Boolean);
  }

  function renderLabels(ol, labels) {
    ol.replaceChildren();
    for (const {label, prob} of labels.slice(0, 3)) {
      const li = document.createElement('li');
      const name = document.createElement('span'); name.textContent = label;
      const p = document.createElement('span'); p.className = 'p'; p.textContent = (100 * prob).toFixed(0) + '%';
      const bar = document.createElement('span'); bar.className = 'bar'; bar.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span'); fill.style.setProperty('--p', (100 * prob).toFixed(1) + '%');
      bar.append(fill); li.append(name, p, bar); ol.append(li);
    }
    ol.hidden = false;
  }

  async function classify(ol, button, what) {
    const labels = labelList();
    if (!labels.length) { showError('Write some labels first (open "Zero-shot labels").'); $('#labels-box').open = true; labelsInput.focus(); return; }
    const fd = new FormData();
    fd.append('labels', labels.join(','));
    if (what.id !== undefined) fd.append('id', what.id); else fd.append('image', what.file);
    button.disabled = true; showError('');
    try { renderLabels(ol, (await api('api/classify', {method: 'POST', body: fd})).labels); }
    catch (e) { showError(e.message); }
    finally { button.disabled = false; }
  }

  // M:SS, or H:MM:SS from an hour (as the CLI writes a video moment)
  function clock(t) {
    t = Math.floor(t); const h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = t % 60;
    const pad = (x) => String(x).padStart(2, '0');
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  }

  // when, where and with what a photo was taken: "date · place · camera" (as photo_summary writes it)
  function photoSummary(hit) {
    let when = (hit.taken || '').slice(0, 16).replace('T', ' ');
    if (when && hit.taken_from === 'mtime') when += ' (file date)';
    const where = hit.gps_lat != null && hit.gps_lon != null ? `${(+hit.gps_lat).toFixed(4)}, ${(+hit.gps_lon).toFixed(4)}` : '';
    const make = hit.camera_make || '', model = hit.camera_model || '';
    const cam = make && model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`.trim();
    return [when, where, cam].filter(Boolean).join(' · ');
  }

  function card(hit) {
    const li = template.content.firstElementChild.cloneNode(true);
    const title = hit.video ? `${hit.name} @ ${clock(hit.t || 0)}` : (hit.caption || hit.name || `image ${hit.id}`);
    const a = li.querySelector('.thumb'); a.href = hit.image;
    a.setAttribute('aria-label', `Open full image: ${title}`);
    const img = li.querySelector('img'); img.src = hit.thumb; img.alt = title;
    if (hit.video) { // a video moment: its player, starting at the moment
      const v = document.createElement('video');
      v.src = `videos/${encodeURIComponent(hit.id)}#t=${hit.t || 0}`; v.poster = hit.thumb;
      v.controls = true; v.muted = true; v.preload = 'metadata'; v.setAttribute('aria-label', title);
      a.replaceWith(v);
    }
    const summary = li.querySelector('.photo'), s = photoSummary(hit);
    summary.textContent = s; summary.hidden = !s;
    li.querySelector('.score').textContent = hit.score.toFixed(2);
    li.querySelector('.name').textContent = title; li.querySelector('.name').title = title;
    const more = li.querySelector('.more');
    more.setAttribute('aria-label', `More like this: ${title}`);
    more.addEventListener('click', () => similar(hit.id, true, hit));
    const tag = li.querySelector('.tag');
    tag.setAttribute('aria-label', `Labels for ${title}`);
    tag.addEventListener('click', () => classify(li.querySelector('.labels'), tag, {id: hit.id}));
    li.dataset.id = hit.id;
    return li;
  }

  // the relevance cutoff: on unless "Show all" is ticked; the API keeps the hits before the drop-off in the scores
  function cut() { return all.checked ? {} : {cutoff: 'auto'}; }
  // the photo filters and the order: only what is set
  function filters() {
    const f = {};
    if (after.value) f.after = after.value;
    if (before.value) f.before = before.value;
    if (sort.value !== 'score') f.sort = sort.value;
    return f;
  }

  function render(data, what) {
    results.replaceChildren(...data.hits.map(card));
    const n = data.hits.length;
    const cutShort = !all.checked && n < +k.value && (total === null || n < total);
    const more = cutShort ? ' · the closest matches only: tick “Show all” for more' : '';
    setStatus(n ? `${n} result${n > 1 ? 's' : ''} for ${what} (${Math.round(data.took_ms)} ms)${more}` : `No results for ${what}.`);
  }

  function showQuery(imgSrc, text, classifyWhat) {
    queryEl.replaceChildren();
    if (!imgSrc) { queryEl.hidden = true; return; }
    const img = document.createElement('img'); img.alt = 'Query image';
    img.addEventListener('error', () => img.remove()); // a picture the browser cannot show: no broken image, no alt text
    img.src = imgSrc;
    const p = document.createElement('p'); p.textContent = text;
    const ol = document.createElement('ol'); ol.className = 'labels'; ol.hidden = true;
    const b = document.createElement('button'); b.type = 'button'; b.textContent = 'Labels';
    b.setAttribute('aria-label', 'Labels for the query image');
    b.addEventListener('click', () => classify(ol, b, classifyWhat));
    const box = document.createElement('div'); box.className = 'labels'; box.append(p, ol);
    queryEl.append(img, box, b); queryEl.hidden = false;
  }

  function pushUrl(params) {
    const u = new URL(location.href); u.search = new URLSearchParams(params).toString();
    history.pushState(params, '', u);
  }

  async function run(label, request, push) {
    const mine = ++generation; busy(true); showError(''); setStatus('Searching…');
    try {
      const data = await request();
      if (mine !== generation) return;
      render(data, label);
      if (push) pushUrl(push);
    } catch (e) {
      if (mine !== generation) return;
      if (current && current.kind === 'image') showQuery(null); // a broken upload: nothing to show as the query
      results.replaceChildren(); setStatus(''); showError(e.message);
    } finally { if (mine === generation) busy(false); }
  }

  function search(text, push) {
    current = {kind: 'text', text};
    q.value = text; showQuery(null);
    const opts = {k: k.value, ...(all.checked ? {all: 1} : {}), ...filters()};
    return run(`“${text}”`, () => api(`api/search?${new URLSearchParams({q: text, k: k.value, ...cut(), ...filters()})}`),
               push && {q: text, ...opts});
  }

  // one wording for "more like this", in the query box and the status: images like “NAME”
  const like = (name) => `images like “${name}”`;

  async function similar(id, push, hit) {
    current = {kind: 'similar', id};
    q.value = '';
    if (!hit) hit = await api(`api/items/${encodeURIComponent(id)}`).catch(() => null);
    const name = hit ? (hit.caption || hit.name) : `image ${id}`;
    showQuery(`thumbs/${id}`, 'I' + like(name).slice(1), {id});
    const opts = {k: k.value, ...(all.checked ? {all: 1} : {})};
    await run(like(name), () => api(`api/similar/${encodeURIComponent(id)}?${new URLSearchParams({k: k.value, ...cut()})}`), push && {similar: id, ...opts});
    window.scrollTo({top: 0, behavior: 'smooth'});
  }

  function searchImage(f) {
    if (!f) return;
    if (!f.type.startsWith('image/') && f.type !== '') { showError(`${f.name} is not an image.`); return; }
    current = {kind: 'image'};
    q.value = '';
    const url = URL.createObjectURL(f);
    const name = f.name || 'your picture';
    showQuery(url, 'I' + like(name).slice(1), {file: f});
    const fd = new FormData(); fd.append('image', f); fd.append('k', k.value);
    if (!all.checked) fd.append('cutoff', 'auto');
    return run(like(name), () => api('api/search', {method: 'POST', body: fd}), null);
  }

  function fromUrl() {
    const p = new URLSearchParams(location.search);
    if (p.get('k') && [...k.options].some((o) => o.value === p.get('k'))) k.value = p.get('k');
    all.checked = p.get('all') === '1';
    after.value = p.get('after') || ''; before.value = p.get('before') || '';
    sort.value = ['date', 'date-desc'].includes(p.get('sort')) ? p.get('sort') : 'score';
    if (p.get('q')) return search(p.get('q'), false);
    if (p.get('similar')) return similar(p.get('similar'), false);
    results.replaceChildren(); showQuery(null); setStatus(''); q.value = '';
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); const t = q.value.trim(); if (t) search(t, true); });
  function again() {
    if (current && current.kind === 'text') search(current.text, true);
    else if (current && current.kind === 'similar') similar(current.id, true);
  }
  k.addEventListener('change', again);
  all.addEventListener('change', again);
  for (const el of [after, before, sort]) el.addEventListener('change', again);
  file.addEventListener('change', () => { searchImage(file.files[0]); file.value = ''; });
  window.addEventListener('popstate', fromUrl);

  // drag and drop anywhere on the page, and paste
  let depth = 0;
  document.addEventListener('dragenter', (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) { depth++; document.body.classList.add('dragging'); } });
  document.addEventListener('dragleave', () => { if (depth && --depth === 0) document.body.classList.remove('dragging'); });
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault(); depth = 0; document.body.classList.remove('dragging');
    if (e.dataTransfer && e.dataTransfer.files.length) searchImage(e.dataTransfer.files[0]);
  });
  document.addEventListener('paste', (e) => {
    const f = [...(e.clipboardData ? e.clipboardData.files : [])].find((o) => o.type.startsWith('image/'));
    if (f) { e.preventDefault(); searchImage(f); }
  });

  api('api/info').then((info) => {
    total = info.images;
    const n = info.images.toLocaleString();
    $('#info').textContent = `${info.name} · ${n} images · ${info.model}`;
    document.title = `${info.name} · clip-search`;
  }, (e) => showError(e.message));
  fromUrl();
})();
