// arkmq status page: polls /api/status and renders it. No library, no network beyond this
// broker. Every text that comes from clients (client ids, principals, topics, details) is
// attacker-controlled, so the DOM is only ever built with createElement + textContent, never
// innerHTML; charts are SVG elements built the same way.
'use strict';

(function () {
  const POLL_MS = 3000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function byId(id) { return document.getElementById(id); }

  function setText(id, value) { byId(id).textContent = String(value); }

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (className) td.className = className;
    return td;
  }

  // Replaces a table's body with one row per item; `columns` maps an item to its cells.
  function fillTable(tableId, items, columns, emptyText) {
    const body = byId(tableId).tBodies[0];
    const rows = [];
    for (const item of items) {
      const tr = document.createElement('tr');
      for (const c of columns(item)) tr.appendChild(c);
      rows.push(tr);
    }
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = cell(emptyText, 'empty');
      td.colSpan = byId(tableId).tHead.rows[0].cells.length;
      tr.appendChild(td);
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  function yesNo(value) { return cell(value ? 'yes' : 'no', value ? 'ok' : 'bad'); }

  function anonymous(principal) { return principal === '' ? cell('(anonymous)', 'muted') : cell(principal); }

  function utc(ms) { return new Date(ms).toISOString().replace('T', ' ').slice(0, 19); }

  function duration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (d > 0) return d + 'd ' + h + 'h ' + m + 'm';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + s + 's';
    return s + 's';
  }

  function rate(value) { return value >= 100 ? Math.round(value).toString() : value.toFixed(1); }

  // --- charts -------------------------------------------------------------------------------

  function svg(tag, attributes, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) e.setAttribute(name, String(value));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The smallest 1/2/5 x 10^n at or above `value` (at least 1), so axis labels stay round.
  function niceMax(value) {
    if (!(value > 1)) return 1;
    const base = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 5, 10]) if (step * base >= value) return step * base;
    return 10 * base;
  }

  // Draws `series` ({key, className}) of `samples` as polylines with a labelled y axis and a
  // time axis in minutes before the newest sample.
  function drawChart(element, samples, series) {
    const W = 640, H = 200, left = 48, right = 12, top = 12, bottom = 26;
    const plotW = W - left - right, plotH = H - top - bottom;
    const parts = [];
    parts.push(svg('rect', { x: left, y: top, width: plotW, height: plotH, class: 'plot' }));
    element.setAttribute('data-samples', samples.length);
    if (samples.length < 2) {
      parts.push(svg('text', { x: left + plotW / 2, y: top + plotH / 2, class: 'note', 'text-anchor': 'middle' },
                     'collecting data…'));
      element.replaceChildren(...parts);
      return;
    }
    let peak = 0;
    for (const s of samples) for (const line of series) peak = Math.max(peak, s[line.key]);
    const yMax = niceMax(peak);
    const t0 = samples[0].t, t1 = samples[samples.length - 1].t;
    const span = Math.max(t1 - t0, 1000);
    const x = (t) => left + ((t - t0) / span) * plotW;
    const y = (v) => top + plotH - (v / yMax) * plotH;

    for (const fraction of [0, 0.5, 1]) {
      const value = yMax * fraction;
      parts.push(svg('line', { x1: left, x2: left + plotW, y1: y(value), y2: y(value), class: 'grid' }));
      parts.push(svg('text', { x: left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' },
                     value >= 10 || value === 0 ? String(Math.round(value)) : value.toFixed(1)));
    }
    // At most ~6 ticks, at round steps, counted back from the newest sample.
    const seconds = span / 1000;
    const step = [5, 10, 15, 30, 60, 120, 300, 600].find((c) => seconds / c <= 6) || 900;
    for (let ago = 0; ago <= seconds + 1e-6; ago += step) {
      const tx = x(t1 - ago * 1000);
      parts.push(svg('line', { x1: tx, x2: tx, y1: top + plotH, y2: top + plotH + 4, class: 'grid' }));
      const label = ago === 0 ? 'now' : ago < 60 ? '-' + ago + 's' : '-' + ago / 60 + 'm';
      parts.push(svg('text', { x: tx, y: H - 8, class: 'axis', 'text-anchor': 'middle' }, label));
    }
    for (const line of series) {
      const points = samples.map((s) => x(s.t).toFixed(1) + ',' + y(s[line.key]).toFixed(1)).join(' ');
      parts.push(svg('polyline', { points: points, class: 'series ' + line.className }));
    }
    element.replaceChildren(...parts);
  }

  // --- rendering ----------------------------------------------------------------------------

  function render(status) {
    setText('version', status.version);
    setText('uptime', duration(status.uptime_s));
    setText('clients-connected', status.clients.connected);
    setText('edge-nodes-online', status.edge_nodes_online);
    setText('denials-total', status.denials.total);
    setText('quota-hits-total', status.quota_hits.total);
    const samples = status.rates.samples;
    const last = samples.length > 0 ? samples[samples.length - 1] : null;
    setText('rate-in', last ? rate(last.in) : '–');
    setText('rate-out', last ? rate(last.out) : '–');

    drawChart(byId('chart-messages'), samples, [
      { key: 'in', className: 'in' }, { key: 'out', className: 'out' }]);
    drawChart(byId('chart-clients'), samples, [{ key: 'clients', className: 'clients' }]);

    const nodeRows = [];
    for (const service of status.services) {
      if (service.nodes.length === 0) nodeRows.push({ service: service.service, node: null });
      for (const node of service.nodes) nodeRows.push({ service: service.service, node: node });
    }
    fillTable('services', nodeRows, (r) => r.node === null
      ? [cell(r.service), cell('(no node)', 'muted'), yesNo(false), cell(''), cell('')]
      : [cell(r.service), cell(r.node.node), yesNo(r.node.available),
         cell(r.node.methods.length > 0 ? r.node.methods.join(', ') : '(any)'), cell(r.node.version)],
    'no service announced');

    const listed = status.clients.listed;
    setText('clients-shown', listed.length < status.clients.connected
      ? '(first ' + listed.length + ' of ' + status.clients.connected + ', by client id)'
      : '(' + status.clients.connected + ')');
    fillTable('clients', listed, (c) => [
      cell(c.client_id, 'mono id'), anonymous(c.principal), cell(c.listener, 'mono'),
      cell(c.tls ? 'yes' : 'no'), cell(c.protocol_version === 5 ? '5' : '3.1.1'),
      cell(c.peer, 'mono'), cell(c.subscriptions), cell(c.queued_messages)], 'no client connected');

    fillTable('denials', status.denials.recent, (d) => [
      cell(utc(d.t), 'time'), cell(d.client_id, 'mono id'), anonymous(d.principal), cell(d.action),
      cell(d.topic, 'mono topic'), cell(d.count, 'count')], 'none since the broker started');
    fillTable('quota-hits', status.quota_hits.recent, (q) => [
      cell(utc(q.t), 'time'), cell(q.client_id, 'mono id'), anonymous(q.principal), cell(q.kind),
      cell(q.detail), cell(q.count, 'count')], 'none since the broker started');

    setText('updated', 'updated ' + utc(status.now) + ' UTC');
    byId('error').hidden = true;
  }

  function showError(message) {
    const e = byId('error');
    e.textContent = 'status unavailable: ' + message;
    e.hidden = false;
  }

  async function poll() {
    try {
      const response = await fetch('api/status', { cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
    } catch (error) {
      showError(error && error.message ? error.message : String(error));
    } finally {
      setTimeout(poll, POLL_MS);  // after the answer, so slow answers never pile up
    }
  }

  poll();
})();
