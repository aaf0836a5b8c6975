// Earshot console core: API calls, routing, live updates and SLA countdowns. No build step:
// plain browser JavaScript, talking to the same /v1 API with the HttpOnly session cookie.
"use strict";

const Earshot = { me: null, views: {}, current: null, refreshTimer: null };

function esc(value) {
  // Mention text is written by strangers on the internet: everything is escaped.
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["content-type"] = "application/json";
    init.method = init.method || "POST";
  }
  const response = await fetch(path, init);
  if (response.status === 401) { location.href = "/console/login"; throw new Error("login"); }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = (body && body.error && body.error.message) || response.statusText;
    toast(message, true);
    throw new Error(message);
  }
  return body;
}

function toast(text, isError = false) {
  const node = document.createElement("div");
  node.className = "toast" + (isError ? " error" : "");
  node.textContent = text;
  document.getElementById("toasts").appendChild(node);
  setTimeout(() => node.remove(), 5000);
}

function formatDuration(seconds) {
  const sign = seconds < 0 ? "−" : "";
  let s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const pad = (n) => String(n).padStart(2, "0");
  return sign + (d ? `${d}d ` : "") + `${h}:${pad(m)}:${pad(s)}`;
}

function clockHtml(sla) {
  // data-* carry the clock so one timer can update every countdown on the page each second.
  return `<span class="clock ${esc(sla.state)}" data-clock data-start="${esc(sla.started_at)}"
    data-due="${esc(sla.due_at)}" data-stopped="${esc(sla.stopped_at || "")}"
    data-state="${esc(sla.state)}"></span>`;
}

function tickClocks() {
  const now = Date.now();
  for (const node of document.querySelectorAll("[data-clock]")) {
    const due = Date.parse(node.dataset.due);
    const start = Date.parse(node.dataset.start);
    if (node.dataset.stopped) {
      const stopped = Date.parse(node.dataset.stopped);
      const met = stopped <= due;
      node.className = "clock " + (met ? "met" : "breached");
      node.textContent = (met ? "✓ answered in " : "✗ answered late, ") +
        formatDuration((stopped - start) / 1000);
      continue;
    }
    const left = (due - now) / 1000;
    const fraction = left / Math.max(1, (due - start) / 1000);
    // Colour by remaining time: red once due, amber in the last quarter, green before.
    const state = left <= 0 ? "breached" : fraction < 0.25 ? "warning" : "ok";
    node.className = "clock " + state;
    node.dataset.state = state;
    node.textContent = (left <= 0 ? "overdue " : "") + formatDuration(left);
  }
}

function connectLive() {
  const indicator = document.getElementById("live");
  const source = new EventSource("/v1/events");
  source.onopen = () => { indicator.className = "live on"; };
  source.onerror = () => { indicator.className = "live off"; };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const data = event.data || {};
    toast(`${data.kind}: ${data.brand} · ${data.priority || ""} ${data.assignee || ""}`);
    window.dispatchEvent(new CustomEvent("earshot:event", { detail: event }));
    scheduleRefresh();
  };
}

function scheduleRefresh() {
  // Several events often arrive together (a burst of mentions): refresh once for all of them.
  clearTimeout(Earshot.refreshTimer);
  Earshot.refreshTimer = setTimeout(() => route(true), 300);
}

async function route(isRefresh = false) {
  const [name, arg] = (location.hash.replace(/^#\//, "") || "queue").split("/");
  const view = Earshot.views[name] || Earshot.views.queue;
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === name);
  }
  const main = document.getElementById("view");
  if (isRefresh && view.keepOnRefresh && view.keepOnRefresh()) return;
  try {
    main.innerHTML = await view.render(arg, isRefresh);
    main.dataset.view = name;
    if (view.bind) view.bind(main, arg);
    tickClocks();
  } catch (error) {
    if (error.message !== "login") main.innerHTML = `<p class="error">${esc(error.message)}</p>`;
  }
}

async function start() {
  try {
    Earshot.me = await api("/v1/auth/me");
  } catch (error) {
    return; // not logged in: api() is already on its way to the login page
  }
  document.getElementById("who").textContent =
    `${Earshot.me.handle} · ${Earshot.me.role} · ${Earshot.me.organisation_name}`;
  document.getElementById("logout").onclick = async () => {
    await api("/v1/auth/logout", { method: "POST" });
    location.href = "/console/login";
  };
  setUpStatus();
  window.addEventListener("hashchange", () => route());
  setInterval(tickClocks, 1000);
  connectLive();
  route();
}

async function setUpStatus() {
  // Only responders have an availability; the router assigns work to those online.
  const list = await api("/v1/responders");
  const mine = list.items.find((r) => r.id === Earshot.me.handle);
  if (!mine) return;
  const select = document.getElementById("status");
  select.value = mine.status;
  select.hidden = false;
  select.onchange = async () => {
    await api("/v1/responders/me/status", { method: "PUT", json: { status: select.value } });
    toast(`You are ${select.value}`);
  };
}

window.addEventListener("DOMContentLoaded", start);
