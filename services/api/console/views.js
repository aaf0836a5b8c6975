// Earshot console views: queue, case, team board, moderation, brand dashboard.
"use strict";

const badge = (text, cls = text) => `<span class="badge ${esc(cls)}">${esc(text)}</span>`;
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

function caseRows(items) {
  if (!items.length) return `<p class="muted">Nothing here.</p>`;
  return `<table><thead><tr><th>Priority</th><th>SLA</th><th>Brand</th><th>Conversation</th>
    <th>Team</th><th>Assignee</th><th>Status</th></tr></thead><tbody>` +
    items.map((c) => `<tr class="case-row" data-case="${esc(c.id)}">
      <td>${badge(c.priority)}</td><td>${clockHtml(c.sla)}</td><td>${esc(c.brand)}</td>
      <td>${esc(c.preview)} <span class="muted">(${c.mention_count})</span></td>
      <td>${esc(c.team)}</td><td>${esc(c.assignee || "—")}</td><td>${esc(c.status)}</td>
    </tr>`).join("") + "</tbody></table>";
}

function bindCaseRows(main) {
  for (const row of main.querySelectorAll("[data-case]")) {
    row.onclick = () => { location.hash = `#/case/${row.dataset.case}`; };
  }
}

Earshot.views.queue = {
  tab: "mine",
  async render() {
    const tab = this.tab;
    const params = tab === "mine" ? "assignee=me&status=active" : "assignee=none&status=open";
    const page = await api(`/v1/cases?${params}&limit=100`);
    const open = page.items;
    return `<div class="tabs">
        <button data-tab="mine" class="${tab === "mine" ? "active" : ""}">Assigned to me</button>
        <button data-tab="unassigned" class="${tab === "unassigned" ? "active" : ""}">
          Unassigned</button></div>
      <h2>${tab === "mine" ? "My queue" : "Unassigned cases"}</h2>
      <div id="queue">${caseRows(open)}</div>`;
  },
  bind(main) {
    bindCaseRows(main);
    for (const b of main.querySelectorAll("[data-tab]")) {
      b.onclick = () => { this.tab = b.dataset.tab; route(); };
    }
  },
};

function mentionHtml(m) {
  const reasons = m.urgency_reasons.map((r) => esc(r.message)).join(" · ");
  const scores = m.classification.sentiment ? m.classification.sentiment.scores : {};
  const corrected = m.corrections.map((c) =>
    `${esc(c.field)} → ${esc(c.value)} by ${esc(c.corrected_by)}`).join("; ");
  return `<div class="mention" data-mention="${esc(m.id)}">
    <div><strong>${esc(m.author.handle || "?")}</strong> on ${esc(m.source)}
      <span class="muted">${when(m.created_at)}</span></div>
    <p>${esc(m.text)}</p>
    <div>${badge(m.sentiment)} ${badge("urgency " + m.urgency, m.urgency)}
      ${badge(m.language)} ${m.flagged ? badge("abuse/spam", "negative") : ""}</div>
    <div class="reasons">${reasons ? "Why urgent: " + reasons : ""}</div>
    <div class="reasons">Sentiment scores: ${Object.entries(scores)
      .map(([k, v]) => `${esc(k)} ${Number(v).toFixed(2)}`).join(", ")}</div>
    ${corrected ? `<div class="reasons">Corrected: ${corrected}</div>` : ""}
    <div class="reasons">Correct sentiment:
      ${["negative", "neutral", "positive"].map((v) =>
        `<button class="secondary" data-correct="${v}">${v}</button>`).join("")}</div>
  </div>`;
}

Earshot.views.case = {
  keepOnRefresh() {
    // Do not wipe a reply being typed when a live event arrives.
    const box = document.getElementById("reply");
    return box && box.value.trim() !== "";
  },
  async render(id) {
    const c = await api(`/v1/cases/${encodeURIComponent(id)}`);
    this.caseData = c;
    const thread = [
      ...c.mentions.map((m) => ({ at: m.created_at, html: mentionHtml(m) })),
      ...c.responses.map((r) => ({ at: r.created_at, html: `<div class="mention reply">
        <div><strong>${esc(r.author)}</strong> replied <span class="muted">${when(r.created_at)}
        </span></div><p>${esc(r.text)}</p></div>` })),
    ].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    const active = c.status !== "resolved";
    // Leads assign anyone; a responder hands over their own case.
    const canAssign = Earshot.me.role !== "responder" || c.assignee === Earshot.me.handle;
    return `<p><a href="#/queue">← queue</a></p>
      <div class="grid"><div>
        <div class="card"><h2>${esc(c.brand)} · ${badge(c.priority)} ${badge(c.status)}</h2>
          <div>First response: <span id="case-clock">${clockHtml(c.sla)}</span>
            <span class="muted">due ${when(c.sla.due_at)}</span></div></div>
        <div class="card"><h3>Conversation</h3>${thread.map((t) => t.html).join("")}</div>
        ${active ? `<div class="card"><h3>Reply</h3>
          <textarea id="reply" placeholder="Your reply, as posted on the platform"></textarea>
          <button id="send">Send reply</button></div>` : ""}
      </div><div>
        <div class="card"><h3>Actions</h3>
          <p>Assignee: <strong id="assignee">${esc(c.assignee || "nobody")}</strong></p>
          ${active ? `${c.assignee === Earshot.me.handle ? "" : `<button id="claim">Claim</button>`}
            <button id="resolve" class="secondary">Resolve</button>
            <button id="spam" class="secondary">Mark spam</button>
            <button id="abuse" class="secondary">Mark abuse</button>
            ${canAssign ? `<p><input id="assign-to" placeholder="colleague's email">
              <button id="assign" class="secondary">Hand over</button>
              <button id="unassign" class="secondary">Back to queue</button></p>` : ""}`
            : `<button id="reopen">Reopen</button>`}
        </div>
        <div class="card"><h3>Team</h3><p>${esc(c.team)} · queue ${esc(c.queue)}</p></div>
        <div class="card"><h3>Audit trail</h3><ul>${c.audit.map((a) =>
          `<li>${when(a.at)} · ${esc(a.actor)} · ${esc(a.action)}</li>`).join("") ||
          "<li class=muted>No actions yet</li>"}</ul></div>
      </div></div>`;
  },
  bind(main, id) {
    const post = async (action, json) => {
      await api(`/v1/cases/${encodeURIComponent(id)}/${action}`, { method: "POST", json });
      route();
    };
    const on = (sel, fn) => { const n = main.querySelector(sel); if (n) n.onclick = fn; };
    on("#claim", () => post("claim"));
    on("#resolve", () => post("resolve", {}));
    on("#reopen", () => post("reopen", {}));
    on("#spam", () => post("mark", { label: "spam" }));
    on("#abuse", () => post("mark", { label: "abuse" }));
    on("#assign", () => post("assign", { assignee: main.querySelector("#assign-to").value }));
    on("#unassign", () => post("assign", { assignee: null }));
    on("#send", async () => {
      const box = main.querySelector("#reply");
      if (!box.value.trim()) return;
      const text = box.value;
      box.value = "";
      await post("respond", { text });
    });
    for (const b of main.querySelectorAll("[data-correct]")) {
      b.onclick = async () => {
        const mention = b.closest("[data-mention]").dataset.mention;
        await api(`/v1/mentions/${mention}/corrections`,
          { json: { field: "sentiment", value: b.dataset.correct } });
        toast("Correction saved");
        route();
      };
    }
  },
};

Earshot.views.team = {
  async render() {
    const board = await api("/v1/teams");
    const people = await api("/v1/responders");
    const sla = await api("/v1/analytics/sla?group_by=team&days=7");
    const unassigned = await api("/v1/cases?assignee=none&status=open&limit=50");
    return `<h2>Team board</h2><div class="card"><table><thead><tr><th>Team</th><th>Open</th>
      <th>Unassigned</th><th>Breached</th></tr></thead><tbody>${board.teams.map((t) =>
        `<tr><td>${esc(t.name)}</td><td>${t.open}</td><td>${t.unassigned}</td>
         <td class="${t.breached ? "error" : ""}">${t.breached}</td></tr>`).join("")}
      </tbody></table></div>
      <div class="card"><h3>Who is online</h3><table><thead><tr><th>Responder</th>
      <th>Status</th><th>Teams</th><th>Load</th></tr></thead><tbody>${people.items.map((r) =>
        `<tr><td>${esc(r.name || r.id)}</td><td>${badge(r.status, r.status === "online"
          ? "positive" : "")}</td><td>${esc(r.teams.join(", "))}</td>
         <td>${r.open} / ${r.capacity}</td></tr>`).join("") ||
        "<tr><td colspan=4 class=muted>No responders set up</td></tr>"}</tbody></table></div>
      <div class="card"><h3>Load per person</h3><table><thead><tr><th>Assignee</th><th>Team</th>
      <th>Open</th><th>Breached</th></tr></thead><tbody>${board.load.map((l) =>
        `<tr><td>${esc(l.assignee)}</td><td>${esc(l.team)}</td><td>${l.open}</td>
         <td>${l.breached}</td></tr>`).join("") || "<tr><td colspan=4 class=muted>Nobody has "
        + "cases</td></tr>"}</tbody></table></div>
      <div class="card"><h3>SLA compliance (7 days)</h3>${slaTable(sla)}</div>
      <div class="card"><h3>Unassigned queue</h3>${caseRows(unassigned.items)}</div>`;
  },
  bind: bindCaseRows,
};

function slaTable(sla) {
  const pct = (v) => (v === null ? "—" : `${v.toFixed(1)}%`);
  const dur = (v) => (v === null ? "—" : formatDuration(v));
  return `<table><thead><tr><th>${esc(sla.group_by)}</th><th>Cases</th><th>Within SLA</th>
    <th title="business hours (wall clock)">Median first response</th><th>p90</th>
    <th>Breaches</th><th>Open</th></tr></thead>
    <tbody>${sla.items.map((i) => `<tr><td>${esc(i.key || "—")}</td><td>${i.cases}</td>
      <td>${pct(i.pct_within_sla)}</td>
      <td>${dur(i.median_first_response_business_s)} (${dur(i.median_first_response_s)})</td>
      <td>${dur(i.p90_first_response_business_s)} (${dur(i.p90_first_response_s)})</td>
      <td>${i.breached}</td><td>${i.open}</td></tr>`)
      .join("")}</tbody></table>`;
}

Earshot.views.mentions = {
  async render() {
    const page = await api("/v1/mentions?limit=100");
    return `<h2>Mention stream</h2><p class="muted">Newest first, every brand of yours, including
      mentions that need no answer. Updates live.</p>
      <table><thead><tr><th>When</th><th>Brand</th><th>Author</th><th>Mention</th>
      <th>Sentiment</th><th>Urgency</th><th>Case</th></tr></thead><tbody>${page.items.map((m) =>
        `<tr><td class="muted">${when(m.created_at)}</td><td>${esc(m.brand)}</td>
         <td>${esc(m.author.handle || "?")} <span class="muted">${esc(m.source)}</span></td>
         <td>${esc(m.text)}</td><td>${badge(m.sentiment)}</td><td>${badge(m.urgency)}</td>
         <td>${m.case_id ? `<a href="#/case/${esc(m.case_id)}">open</a>` : "—"}</td></tr>`)
        .join("")}</tbody></table>`;
  },
};

Earshot.views.moderation = {
  async render() {
    const queue = await api("/v1/moderation?limit=100");
    const org = await api("/v1/organisation");
    return `<h2>Moderation queue</h2>
      <p class="muted">"Never hide criticism" is ${org.never_hide_criticism ? "on" : "OFF"}:
      hiding is offered only for mentions the model classified as abuse or spam.</p>
      ${queue.items.map((m) => `<div class="card" data-mention="${esc(m.id)}">
        <div><strong>${esc(m.author.handle || "?")}</strong> · ${esc(m.brand)}
          <span class="muted">${when(m.created_at)}</span></div><p>${esc(m.text)}</p>
        <div>${badge(m.sentiment)} ${m.flagged ? badge("model: abuse/spam", "negative")
          : badge("marked by a person")}</div>
        <p><button data-decide="keep" class="secondary">Keep</button>
          <button data-decide="escalate" class="secondary">Escalate</button>
          ${m.flagged || !org.never_hide_criticism
            ? `<button data-decide="hide" class="danger">Request hide</button>` : ""}</p>
      </div>`).join("") || `<p class="muted">Nothing to moderate.</p>`}`;
  },
  bind(main) {
    for (const b of main.querySelectorAll("[data-decide]")) {
      b.onclick = async () => {
        const id = b.closest("[data-mention]").dataset.mention;
        await api(`/v1/mentions/${id}/moderation`, { json: { decision: b.dataset.decide } });
        route();
      };
    }
  },
};

function barsSvg(items, width = 640, height = 160) {
  // Stacked bars per bucket (negative / neutral / positive) and a net-sentiment line.
  if (!items.length) return `<p class="muted">No mentions in this period.</p>`;
  const max = Math.max(...items.map((i) => i.total), 1);
  const w = width / items.length;
  const y = (v) => height - (v / max) * (height - 20);
  let bars = "";
  let line = "";
  items.forEach((i, n) => {
    let top = height;
    for (const [key, colour] of [["negative", "#c0262d"], ["neutral", "#aab"],
                                 ["positive", "#1b7f3b"]]) {
      const h = (i[key] / max) * (height - 20);
      top -= h;
      bars += `<rect x="${n * w + 2}" y="${top}" width="${Math.max(1, w - 4)}" height="${h}"
        fill="${colour}"><title>${esc(i.bucket)}: ${i[key]} ${key}</title></rect>`;
    }
    line += `${n ? "L" : "M"}${n * w + w / 2},${(1 - i.net_sentiment) * height / 2}`;
  });
  return `<svg viewBox="0 0 ${width} ${height + 14}" width="100%" role="img"
    aria-label="volume and sentiment">${bars}
    <path d="${line}" fill="none" stroke="#5b6cff" stroke-width="2"><title>net sentiment</title>
    </path><text x="0" y="${height + 12}">${esc(items[0].bucket.slice(0, 16))}</text>
    <text x="${width - 110}" y="${height + 12}">${esc(items[items.length - 1].bucket
      .slice(0, 16))}</text><text x="2" y="${y(max) + 10}">${max}</text></svg>`;
}

function alertsCard(items) {
  const rows = items.map((a) => `<tr class="alert-${esc(a.kind)}">
    <td>${esc(a.raised_at.slice(0, 16).replace("T", " "))}</td>
    <td>${a.kind === "volume" ? "Mention spike" : "Turn to negative"}</td>
    <td>${esc(a.summary)}</td>
    <td>${a.notified_at ? "sent" : a.notify_error ? "retrying" : "pending"}</td></tr>`);
  return `<div class="card"><h3>Alerts (7 days)</h3>${rows.length ? `<table><thead><tr>
    <th>Raised (UTC)</th><th>What</th><th></th><th>Notification</th></tr></thead>
    <tbody>${rows.join("")}</tbody></table>` : `<p class="muted">No spikes.</p>`}</div>`;
}

function topicsCard(t) {
  const list = (items) => items.length
    ? items.map((i) => `<li>${esc(i.value)} <span class="muted">${i.posts}</span></li>`).join("")
    : `<li class="muted">—</li>`;
  return `<div class="card"><h3>Talked about (7 days, ${t.posts} mentions)</h3>
    <div class="columns"><div><h4>Terms</h4><ol>${list(t.terms)}</ol></div>
    <div><h4>Hashtags</h4><ol>${list(t.hashtags)}</ol></div>
    <div><h4>Phrases</h4><ol>${list(t.phrases)}</ol></div>
    <div><h4>Loudest authors</h4><ol>${t.authors.map((a) => `<li>${esc(a.handle)}
      <span class="muted">${a.followers.toLocaleString()} followers, ${a.mentions}</span></li>`)
      .join("") || `<li class="muted">—</li>`}</ol></div></div></div>`;
}

Earshot.views.dashboard = {
  brand: null,
  async render() {
    const brands = (await api("/v1/brands")).items.filter((b) => !b.competitor_of);
    if (!brands.length) return `<p class="muted">No brands yet.</p>`;
    this.brand = this.brand || brands[0].id;
    const q = encodeURIComponent(this.brand);
    const [volume, sov, sla, errors, alerts, topics] = await Promise.all([
      api(`/v1/analytics/volume?brand=${q}&bucket=hour&days=7`),
      api(`/v1/analytics/share-of-voice?brand=${q}&days=30`),
      api("/v1/analytics/sla?group_by=priority&days=30"),
      api("/v1/analytics/label-errors?days=30"),
      api(`/v1/analytics/alerts?brand=${q}&days=7`),
      api(`/v1/analytics/topics?brand=${q}&days=7`),
    ]);
    return `<h2>Brand dashboard <select id="brand">${brands.map((b) =>
        `<option value="${esc(b.id)}" ${b.id === this.brand ? "selected" : ""}>${esc(b.name)}
        </option>`).join("")}</select></h2>
      ${alertsCard(alerts.items)}
      <div class="card"><h3>Volume and sentiment (hourly, 7 days)</h3>${barsSvg(volume.items)}
        <p class="muted">Bars: negative / neutral / positive mentions. Line: net sentiment.</p>
      </div>
      <div class="card"><h3>Share of voice (30 days)</h3><svg viewBox="0 0 640 ${
        sov.items.length * 26}" width="100%">${sov.items.map((s, n) => `
        <rect x="160" y="${n * 26 + 4}" width="${s.share * 460}" height="18"
          fill="${s.competitor_of ? "#aab" : "#5b6cff"}"></rect>
        <text x="0" y="${n * 26 + 17}">${esc(s.name)}</text>
        <text x="${166 + s.share * 460}" y="${n * 26 + 17}">${(s.share * 100).toFixed(1)}%
          (${s.mentions})</text>`).join("")}</svg></div>
      ${topicsCard(topics)}
      <div class="card"><h3>SLA compliance by priority (30 days)</h3>
        ${slaTable(sla)}</div>
      <div class="card"><h3>Model error rate (label corrections, 30 days)</h3><table><thead>
        <tr><th>Field</th><th>Mentions</th><th>Corrected</th><th>Error rate</th></tr></thead>
        <tbody>${errors.items.filter((e) => e.brand === this.brand).map((e) => `<tr>
          <td>${esc(e.field)}</td><td>${e.mentions}</td><td>${e.corrected}</td>
          <td>${e.error_rate === null ? "—" : (e.error_rate * 100).toFixed(1) + "%"}</td></tr>`)
          .join("")}</tbody></table></div>`;
  },
  bind(main) {
    main.querySelector("#brand").onchange = (e) => { this.brand = e.target.value; route(); };
  },
};
