// Live operator page: fed by /ops/api/history (once) and /ops/api/stream (server-sent snapshots).
"use strict";

const HISTORY_SECONDS = 600;
const points = []; // {t, lag: {key: n}, rate: {key: n|null}, dlq_rate}
const charts = {}; // id -> {plot, keys}

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
function badge(status) {
  return `<span class="badge s-${esc(status)}">${esc(status)}</span>`;
}

function renderTable(snap) {
  const rows = [];
  for (const g of snap.groups) {
    const topics = g.topics.length ? g.topics : [null];
    for (const t of topics) {
      rows.push(`<tr data-group="${esc(g.group)}" data-stage="${esc(t ? t.stage : "")}">
        <td>${esc(g.group)}</td><td>${esc(t ? t.stage : "–")}</td><td>${esc(t ? t.topic : "–")}</td>
        <td>${esc(g.state)}${(g.uncommitted || []).length ? ` <small title="assigned partitions without a committed offset">(+${g.uncommitted.length} uncommitted)</small>` : ""}</td><td class="num">${fmt(g.members)}</td>
        <td>${badge(t ? t.status : g.status)}</td>
        <td class="num">${fmt(t ? t.lag : g.lag)}</td><td class="num">${fmt(t ? t.lag_seconds : g.lag_seconds, 1)}</td>
        <td class="num">${fmt(t ? t.consume_rate : null, 1)}</td></tr>`);
    }
  }
  document.querySelector("#status-table tbody").innerHTML =
    rows.join("") || '<tr><td colspan="9" class="empty">no consumer group found</td></tr>';
}

function renderRejections(snap) {
  const rows = snap.rejections.map((r) => `<tr><td>${esc(r.rejected_at)}</td><td>${esc(r.stage)}</td>
    <td>${esc(r.reason)}</td><td>${esc(r.agency)}</td><td>${esc(r.submission_id)}</td>
    <td class="msg">${esc(r.message)}</td></tr>`);
  document.querySelector("#rejections tbody").innerHTML = rows.join("") || '<tr><td colspan="6" class="empty">none</td></tr>';
  document.getElementById("dlq-rate").textContent =
    snap.dlq_rate === null ? "" : `(${fmt(snap.dlq_rate, 2)} / s into ${snap.dlq_topic})`;
}

function pointOf(snap) {
  const lag = {}, rate = {};
  for (const g of snap.groups) for (const t of g.topics) {
    const key = `${t.stage} (${g.group})`;
    lag[key] = t.lag;
    rate[key] = t.consume_rate;
  }
  return { t: snap.taken_at, lag, rate, dlq_rate: snap.dlq_rate };
}

const PALETTE = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#ad1457"];

function drawChart(id, field) {
  const el = document.getElementById(id);
  const keys = field === "dlq_rate" ? ["DLQ"] : [...new Set(points.flatMap((p) => Object.keys(p[field])))].sort();
  const xs = points.map((p) => p.t);
  const ys = keys.map((k) => points.map((p) => (field === "dlq_rate" ? p.dlq_rate : p[field][k]) ?? null));
  const data = [xs, ...ys];
  const existing = charts[id];
  if (existing && existing.keys.join("|") === keys.join("|")) {
    existing.plot.setData(data);
  } else {
    if (existing) existing.plot.destroy();
    const opts = {
      title: el.dataset.title,
      width: Math.max(400, el.clientWidth - 10),
      height: 220,
      scales: { x: { time: true } },
      series: [{}, ...keys.map((k, i) => ({ label: k, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true }))],
      axes: [{}, { size: 60 }],
    };
    charts[id] = { plot: new uPlot(opts, data, el), keys };
  }
  el.dataset.series = String(keys.length);
  el.dataset.points = String(xs.length);
}

function addPoint(p) {
  if (points.length && p.t <= points[points.length - 1].t) return;
  points.push(p);
  while (points.length && points[0].t < p.t - HISTORY_SECONDS) points.shift();
}

function onSnapshot(snap) {
  addPoint(pointOf(snap));
  renderTable(snap);
  renderRejections(snap);
  drawChart("chart-lag", "lag");
  drawChart("chart-rate", "rate");
  drawChart("chart-dlq", "dlq_rate");
  document.getElementById("updated").textContent = "updated " + new Date(snap.taken_at * 1000).toLocaleTimeString();
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
}

function setConn(text, cls) {
  const c = document.getElementById("conn");
  c.textContent = text;
  c.className = cls;
}

async function start() {
  try {
    const resp = await fetch("/ops/api/history", { credentials: "same-origin" });
    // The session cookie expired or the key was revoked: reloading shows the login form.
    if (resp.status === 401 || resp.status === 403) { location.reload(); return; }
    if (resp.ok) for (const h of await resp.json()) addPoint({ t: h.t, lag: h.lag, rate: h.rate, dlq_rate: h.dlq_rate });
  } catch (e) { /* history is optional */ }
  const es = new EventSource("/ops/api/stream");
  es.addEventListener("snapshot", (ev) => { setConn("live", "live"); onSnapshot(JSON.parse(ev.data)); });
  es.addEventListener("failure", (ev) => setConn("broker unreachable: " + JSON.parse(ev.data).error, "down"));
  es.onerror = () => setConn("disconnected, retrying…", "down");
}

start();
