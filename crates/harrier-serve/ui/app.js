// The analyst UI: picks the page from the path, fetches its data from the API with the session cookie,
// and builds the DOM with textContent only, so nothing from the data is parsed as markup.
"use strict";

const main = document.getElementById("main");

// ---- DOM and API helpers ----

// Creates an element. `attrs` sets attributes, except `text` (textContent) and `on*` (event listeners).
function el(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = String(value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function badge(text, kind) {
  return el("span", { class: `badge ${kind || ""}`, text });
}

function time(value) {
  return value ? String(value).replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "–";
}

// A table cell that keeps a time or an id on one line.
function nowrap(text) {
  return el("td", { class: "nowrap", text });
}

function pagePath(...parts) {
  return "/ui/" + parts.map(encodeURIComponent).join("/");
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls the API. Changes carry the CSRF token from the login response; a 401 sends the user to log in.
async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  const method = options.method || "GET";
  if (method !== "GET") {
    headers["X-CSRF-Token"] = window.localStorage.getItem("harrier.csrf") || "";
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 401) {
    window.location.assign("/ui/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
    throw new ApiError(401, "not logged in");
  }
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || `HTTP ${response.status}`);
  return data;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : "";
}

function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => (h instanceof Node ? el("th", {}, h) : el("th", { text: h }))))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: headers.length, class: "muted", text: "None." }))));
}

function row(...cells) {
  return el("tr", {}, cells.map((c) => (c instanceof HTMLTableCellElement ? c : el("td", {}, c))));
}

function num(value) {
  return el("td", { class: "num", text: value });
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", {}, value ?? "–")]));
}

function notice(text, bad) {
  return el("div", { class: bad ? "notice bad" : "notice", role: "status", text });
}

// Replaces the page's content. Nested arrays are flattened and empty entries (null, undefined, false)
// dropped, so pages can build optional sections inline.
function render(...nodes) {
  main.replaceChildren(...nodes.flat(Infinity).filter((node) => node !== undefined && node !== null && node !== false));
}

// ---- Actions, shared by the incident and actions pages ----

const DECISIONS = { pending: ["approve", "reject"], approved: ["reject"], done: ["undo"], failed: ["undo"] };

// The signed-in user's role, set once the session is read. Viewers get no decision buttons, since the API
// would reject their decisions.
let sessionRole = "viewer";

function actionButtons(action, onDone) {
  const verbs = sessionRole === "viewer" ? [] : DECISIONS[action.status] || [];
  const status = el("span", { class: "muted" });
  const buttons = verbs.map((verb) =>
    el("button", {
      type: "button",
      class: verb === "approve" ? "" : verb === "reject" ? "danger" : "secondary",
      "data-action": action.action.id,
      "data-verb": verb,
      text: verb[0].toUpperCase() + verb.slice(1),
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          const result = await api(`/api/v1/actions/${encodeURIComponent(action.action.id)}/${verb}`, { method: "POST" });
          status.textContent = `${result.status}${result.note ? ": " + result.note : ""}`;
          if (onDone) onDone();
        } catch (failure) {
          status.textContent = failure.message;
          event.target.disabled = false;
        }
      },
    }),
  );
  return el("div", { class: "row" }, buttons, status);
}

function target(t) {
  return [t.user, t.app_id && `app ${t.app_id}`, t.object].filter(Boolean).join(" · ") || t.tenant;
}

function actionsTable(actions, reload) {
  return table(["Action", "Kind", "Target", "Mode", "Status", "Updated", "Reasons", "Decide"], actions.map((a) =>
    row(
      el("td", {},
        el("code", { title: a.action.id, text: a.action.id.length > 16 ? `${a.action.id.slice(0, 16)}…` : a.action.id }),
        el("div", {}, el("a", { href: pagePath("incidents", a.action.incident), text: a.action.incident }))),
      a.action.kind,
      target(a.action.target),
      a.action.mode,
      badge(a.status, `st-${a.status}`),
      el("td", {}, el("div", { class: "nowrap", text: time(a.updated) }), el("div", { class: "muted", text: `by ${a.by}` })),
      el("div", {}, (a.action.reasons || []).map((r) => el("div", { text: r }))),
      actionButtons(a, reload),
    )));
}

// ---- Pages ----

async function incidentsPage() {
  const params = new URLSearchParams(window.location.search);
  const filter = {};
  for (const key of ["tenant", "severity", "status", "user", "model", "assignee", "since", "until", "sort", "offset"]) {
    if (params.get(key)) filter[key] = params.get(key);
  }
  for (const key of ["since", "until"]) if (filter[key] && /^\d{4}-\d\d-\d\d$/.test(filter[key])) filter[key] += "T00:00:00Z";
  const limit = 50;
  const [page, models, session] = await Promise.all([
    api("/api/v1/incidents" + query({ ...filter, limit })),
    api("/api/v1/models"),
    api("/api/v1/session"),
  ]);

  const select = (name, values) => el("label", {}, name[0].toUpperCase() + name.slice(1),
    el("select", { name }, el("option", { value: "", text: "any" }),
      values.map((v) => el("option", { value: v, text: v, selected: params.get(name) === v }))));
  const input = (name, type, placeholder) =>
    el("label", {}, placeholder, el("input", { name, type, value: params.get(name) || "", placeholder }));
  const form = el("form", { class: "filters", method: "get", action: "/ui/incidents" },
    session.tenants.includes("*") ? input("tenant", "text", "Tenant") : select("tenant", session.tenants),
    select("severity", ["critical", "high", "medium", "low"]),
    select("status", ["new", "investigating", "resolved", "false_positive"]),
    input("user", "text", "User"),
    select("model", models.items.map((m) => m.id)),
    input("assignee", "text", "Assignee"),
    input("since", "date", "Since"),
    input("until", "date", "Until"),
    params.get("sort") ? el("input", { type: "hidden", name: "sort", value: params.get("sort") }) : null,
    el("button", { type: "submit", text: "Filter" }),
    el("a", { href: "/ui/incidents", text: "Clear" }));

  const sortLink = (label, key) => {
    const current = params.get("sort") || "-last";
    const next = current === `-${key}` ? key : `-${key}`;
    const link = new URLSearchParams(params);
    link.set("sort", next);
    link.delete("offset");
    const arrow = current === key ? " ▲" : current === `-${key}` ? " ▼" : "";
    return el("a", { href: `/ui/incidents?${link}`, text: label + arrow });
  };
  const rows = page.items.map((i) => row(
    badge(i.severity, `sev-${i.severity}`),
    num(i.score.toFixed(0)),
    el("td", { class: "nowrap" }, el("a", { href: pagePath("incidents", i.id), text: i.id })),
    i.tenant,
    i.user ? el("a", { href: pagePath("users", i.tenant, i.user), text: i.user }) : "–",
    (i.models || []).join(", "),
    nowrap(time(i.first)),
    nowrap(time(i.last)),
    badge(i.state.status, `st-${i.state.status}`),
    i.state.assignee || "–",
  ));
  const offset = Number(params.get("offset") || 0);
  const pageLink = (label, to) => {
    const link = new URLSearchParams(params);
    link.set("offset", String(to));
    return el("a", { href: `/ui/incidents?${link}`, text: label });
  };
  render(
    el("h1", { text: "Incidents" }),
    form,
    table([sortLink("Severity", "severity"), sortLink("Score", "score"), "Incident", "Tenant", "User", "Models",
      sortLink("First", "first"), sortLink("Last", "last"), "Status", "Assignee"], rows),
    el("div", { class: "pager" },
      offset > 0 ? pageLink("← Previous", Math.max(0, offset - limit)) : null,
      el("span", { class: "muted", text: `${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total}` }),
      offset + page.items.length < page.total ? pageLink("Next →", offset + limit) : null),
  );
}

async function incidentPage(id) {
  const detail = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
  const i = detail.incident;
  const reload = () => incidentPage(id);
  const breaches = [...detail.breaches].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));

  const status = el("select", { id: "status" },
    ["new", "investigating", "resolved", "false_positive"].map((s) => el("option", { value: s, text: s, selected: detail.state.status === s })));
  const assignee = el("input", { id: "assignee", value: detail.state.assignee || "", placeholder: "unassigned" });
  const comment = el("textarea", { id: "comment", rows: 3, cols: 60, placeholder: "Add a comment" });
  const message = el("span", { class: "muted" });
  const change = (path, body) => async () => {
    try {
      await api(`/api/v1/incidents/${encodeURIComponent(id)}/${path}`, { method: path === "comments" ? "POST" : "PUT", body: body() });
      reload();
    } catch (failure) {
      message.textContent = failure.message;
    }
  };

  const steps = breaches.map((b) => el("div", { class: "panel" },
    el("div", { class: "row" }, badge(b.stage, ""), el("strong", { text: b.model_name }), el("span", { class: "muted", text: `${b.technique_id} ${b.technique_name}` }),
      el("span", { text: `score ${b.score.toFixed(0)}` }), el("span", { class: "muted", text: time(b.time) }), b.learning ? badge("learning", "") : null),
    el("p", { text: b.summary }),
    b.evidence.length ? facts(b.evidence.map((e) => [e.name, e.value])) : null,
    b.deviations.length ? table(["Measure", "Observed", "Usual", "Surprise"], b.deviations.map((d) => row(d.measure, d.observed, d.baseline, num(d.score.toFixed(1))))) : null,
  ));

  render(
    el("h1", {}, badge(i.severity, `sev-${i.severity}`), " ", `Incident ${i.id}`),
    el("div", { class: "grid" },
      el("div", { class: "panel" }, facts([
        ["Tenant", i.tenant],
        ["User", i.user ? el("a", { href: pagePath("users", i.tenant, i.user), text: i.user }) : "–"],
        ["Score", i.score.toFixed(0)],
        ["First", time(i.first)],
        ["Last", time(i.last)],
        ["Models", (i.models || []).join(", ")],
        ["Techniques", (i.techniques || []).join(", ")],
        ["Sources", (i.sources || []).join(", ")],
        ["Related", (i.related || []).length ? el("span", {}, i.related.map((r) => el("a", { href: pagePath("incidents", r), text: r + " " }))) : "–"],
      ])),
      el("div", { class: "panel" },
        el("div", { class: "row" }, el("label", { for: "status", text: "Status" }), status,
          el("button", { type: "button", id: "save-status", text: "Set", onclick: change("status", () => ({ status: status.value })) })),
        el("div", { class: "row" }, el("label", { for: "assignee", text: "Assignee" }), assignee,
          el("button", { type: "button", id: "save-assignee", text: "Assign", onclick: change("assignee", () => ({ assignee: assignee.value })) })),
        el("div", { class: "row" }, comment),
        el("div", { class: "row" }, el("button", { type: "button", id: "add-comment", text: "Comment", onclick: change("comments", () => ({ text: comment.value })) }), message),
        el("div", {}, detail.comments.map((c) => el("p", {}, el("strong", { text: c.author }), el("span", { class: "muted", text: ` ${time(c.time)}: ` }), c.text))),
      )),
    el("h2", { text: "Timeline" }),
    el("div", { class: "panel" }, breaches.length ? Charts.timeline(breaches.map((b) => ({ time: b.time, lane: b.stage, label: `${b.model_name}: ${b.summary}` })), "Breaches by kill-chain stage over time") : "No breaches."),
    el("h2", { text: "Actions" }),
    actionsTable(detail.actions, reload),
    el("h2", { text: "Steps and evidence" }),
    steps,
    el("h2", { text: "Report" }),
    el("pre", { id: "report", text: detail.report }),
  );
}

async function userPage(tenant, user) {
  const base = `/api/v1/tenants/${encodeURIComponent(tenant)}/users/${encodeURIComponent(user)}`;
  const optional = (promise) => promise.catch((failure) => (failure.status === 404 ? null : Promise.reject(failure)));
  const [activity, baseline, breaches, incidents] = await Promise.all([
    optional(api(`${base}/activity?days=30`)),
    optional(api(`${base}/baseline`)),
    api("/api/v1/breaches" + query({ tenant, user, limit: 50 })),
    api("/api/v1/incidents" + query({ tenant, user, limit: 20 })),
  ]);
  const parts = [el("h1", { text: `Pattern of life: ${user}` }), el("p", { class: "muted", text: `Tenant ${tenant}` })];
  if (!activity) parts.push(notice("No stored events of this user.", true));
  if (activity) {
    const unusualCountries = new Set(activity.countries.filter((c) => c.unusual).map((c) => c.country));
    const unusualAsns = new Set(activity.asns.filter((a) => a.unusual).map((a) => a.asn));
    const sourceRows = (list, key) => list.map((s) => row(s[key], s.name || "", num(s.sign_ins), num(`${(s.share * 100).toFixed(1)}%`),
      nowrap(time(s.first_seen)), nowrap(time(s.last_seen)), s.unusual ? badge("unusual", "unusual") : ""));
    const counts = (list, label) => table([label, "Count"], list.map((x) => row(x.name, num(x.count))));
    parts.push(
      el("p", { class: "muted", text: `${activity.events} events and ${activity.sign_ins} sign-ins from ${time(activity.from)} to ${time(activity.until)}. ` +
        `A source under ${(activity.rare_share * 100).toFixed(0)}% of the sign-ins is marked unusual.` }),
      el("h2", { text: "Sign-in countries over time" }),
      el("div", { class: "panel", id: "countries-chart" }, Charts.stackedBars(activity.daily.map((d) => ({ day: d.day, counts: d.countries })), "Sign-ins per day by country", unusualCountries)),
      el("h2", { text: "Sign-in networks (ASN) over time" }),
      el("div", { class: "panel" }, Charts.stackedBars(activity.daily.map((d) => ({ day: d.day, counts: d.asns })), "Sign-ins per day by autonomous system", unusualAsns)),
      el("h2", { text: "Countries" }),
      table(["Country", "", "Sign-ins", "Share", "First", "Last", ""], sourceRows(activity.countries, "country")),
      el("h2", { text: "Networks" }),
      table(["ASN", "Organisation", "Sign-ins", "Share", "First", "Last", ""], sourceRows(activity.asns, "asn")),
      el("h2", { text: "Activity by weekday and hour (UTC)" }),
      el("div", { class: "panel", id: "heatmap" }, Charts.heatmap(activity.heatmap, "Events by weekday and hour")),
      el("div", { class: "grid" },
        el("div", {}, el("h2", { text: "Devices" }), counts(activity.devices, "Device")),
        el("div", {}, el("h2", { text: "Applications" }), counts(activity.applications, "Application")),
        el("div", {}, el("h2", { text: "Usual correspondents" }), counts(activity.correspondents, "Address"))),
    );
  }
  if (baseline) {
    const features = Object.entries(baseline.features).filter(([, f]) => f.top.length);
    parts.push(
      el("h2", { text: "Learned baseline" }),
      el("div", { class: "panel" }, facts([
        ["Peer group", baseline.peer_group || "–"], ["Events", baseline.events], ["History", `${baseline.history_days} days (${baseline.first_day} to ${baseline.last_day})`],
        ["Active days", baseline.active_days],
      ])),
      table(["Feature", "Distinct", "Most frequent"], features.map(([name, f]) => row(name, num(f.distinct),
        f.top.map((t) => `${t.value} (${(t.share * 100).toFixed(0)}%)`).join(", ")))),
    );
  }
  parts.push(
    el("h2", { text: "Incidents" }),
    table(["Severity", "Incident", "Last", "Status"], incidents.items.map((i) => row(badge(i.severity, `sev-${i.severity}`),
      el("a", { href: pagePath("incidents", i.id), text: i.id }), nowrap(time(i.last)), badge(i.state.status, `st-${i.state.status}`)))),
    el("h2", { text: "Breaches" }),
    table(["Time", "Model", "Score", "Summary"], breaches.items.map((b) => row(nowrap(time(b.time)), b.model_name, num(b.score.toFixed(0)), b.summary))),
  );
  render(...parts);
}

async function messagesPage(tenant) {
  const params = new URLSearchParams(window.location.search);
  const list = await api(`/api/v1/tenants/${encodeURIComponent(tenant)}/messages` + query({ class: params.get("class"), limit: 100 }));
  render(
    el("h1", { text: `Messages of ${tenant}` }),
    el("form", { class: "filters", method: "get" }, el("label", {}, "Verdict class", el("input", { name: "class", value: params.get("class") || "" })),
      el("button", { type: "submit", text: "Filter" })),
    table(["Time", "Verdict", "Score", "From", "Subject"], list.items.map((m) => row(
      nowrap(time(m.time)), badge(m.message.verdict.class, m.message.verdict.class === "clean" ? "st-done" : "sev-high"), num(m.message.verdict.score),
      m.message.from || "–", el("a", { href: pagePath("messages", tenant, m.id), text: m.message.subject || "(no subject)" })))),
  );
}

async function messagePage(tenant, id) {
  const detail = await api(`/api/v1/tenants/${encodeURIComponent(tenant)}/messages/${encodeURIComponent(id)}`);
  const m = detail.message;
  // NOTE: a stored message keeps its link domains but not whether the milter locked them, so a domain
  // shows as locked only once a click on one of its links reached the link-lock endpoint.
  const lockedHosts = new Set(detail.link_clicks.map((c) => { try { return new URL(c.click.url).hostname; } catch { return ""; } }));
  const verdictKind = m.verdict.class === "clean" ? "st-done" : "sev-high";
  render(
    el("h1", { text: m.subject || "(no subject)" }),
    el("div", { class: "grid" },
      el("div", { class: "panel" }, facts([
        ["Verdict", el("span", {}, badge(m.verdict.class, verdictKind), ` score ${m.verdict.score}`)],
        ["Received", time(detail.time)], ["Direction", m.direction], ["From", `${m.from_name ? m.from_name + " " : ""}${m.from || "–"}`],
        ["To", (m.recipients || []).join(", ")], ["Reply-To", (m.reply_to || []).join(", ") || "–"], ["Return-Path", m.return_path],
        ["Message-ID", m.message_id], ["DKIM", (m.dkim_domains || []).join(", ") || "none"], ["IBANs", (m.ibans || []).join(", ") || "none"],
      ])),
      el("div", {}, el("h2", { text: "Verdict factors" }),
        table(["Factor", "Detail", "Weight"], m.verdict.factors.map((f) => row(f.kind, f.detail, num(f.weight)))))),
    el("h2", { text: "Links" }),
    table(["Domain", "Lock"], (m.link_domains || []).map((d) => row(d, lockedHosts.has(d) ? badge("locked", "locked") : "–"))),
    detail.link_clicks.length ? table(["Clicked", "Recipient", "URL", "Continued"], detail.link_clicks.map((c) =>
      row(time(c.time), c.click.recipient, c.click.url, c.click.continued ? "yes" : "no (warning page)"))) : null,
    el("h2", { text: "Attachments" }),
    table(["Type"], (m.attachment_types || []).map((t) => row(t))),
    el("h2", { text: "Relays" }),
    table(["IP", "ASN", "Organisation"], (m.relays || []).map((r) => row(r.ip, r.asn ? `AS${r.asn}` : "–", r.as_org || "–"))),
    el("h2", { text: "Actions taken" }),
    actionsTable(detail.actions, () => messagePage(tenant, id)),
  );
}

async function actionsPage() {
  const params = new URLSearchParams(window.location.search);
  const status = params.get("status") ?? "pending";
  const list = await api("/api/v1/actions" + query({ status }));
  const statuses = ["", "pending", "approved", "executing", "done", "failed", "rejected", "blocked", "undone", "observed"];
  render(
    el("h1", { text: status ? `Actions: ${status}` : "Actions" }),
    el("form", { class: "filters", method: "get" }, el("label", {}, "Status",
      el("select", { name: "status" }, statuses.map((s) => el("option", { value: s, text: s || "any", selected: s === status })))),
      el("button", { type: "submit", text: "Show" })),
    actionsTable(list.items, () => actionsPage()),
  );
}

async function modelsPage() {
  const models = await api("/api/v1/models");
  // A parameter set in the settings file is shown with the model's default beside it.
  const parameter = (p, overrides) => {
    const set = overrides && Object.prototype.hasOwnProperty.call(overrides, p.name);
    return el("div", {}, el("code", { text: p.name }), ` = ${JSON.stringify(set ? overrides[p.name] : p.default)}`,
      set ? el("span", { class: "muted", text: ` (default ${JSON.stringify(p.default)})` }) : null);
  };
  render(
    el("h1", { text: "Models" }),
    table(["Model", "Stage", "Technique", "Enabled", "Min score", "Parameters"], models.items.map((m) => {
      const settings = m.settings || {};
      return row(
        el("div", {}, el("strong", { text: m.name }), el("div", { class: "muted", text: `${m.id} v${m.version}` }), el("div", { text: m.description })),
        m.stage,
        `${m.technique.id} ${m.technique.name} (${m.technique.tactic})`,
        settings.enabled === false ? badge("disabled", "st-failed") : badge("enabled", "st-done"),
        num(settings.min_score ?? 0),
        el("div", {}, m.params.map((p) => parameter(p, settings.params))),
      );
    })),
  );
}

async function tenantsPage() {
  const tenants = await api("/api/v1/tenants");
  const exports = await api("/api/v1/exports").catch((failure) => (failure.status === 403 ? null : Promise.reject(failure)));
  const sourceRows = (tenant) => Object.entries(tenant.sources).map(([name, s]) => row(
    name,
    s.last_error ? badge("error", "st-failed") : s.last_poll ? badge("ok", "st-done") : badge("not polled", ""),
    time(s.last_poll),
    num(s.polls),
    s.last_error || "–",
  ));
  render(
    el("h1", { text: "Tenants and sources" }),
    tenants.items.map((t) => el("div", { class: "panel" },
      el("h2", {}, t.id, " ", el("a", { href: pagePath("messages", t.id), text: "messages" }), " · ", el("a", { href: "/ui/incidents" + query({ tenant: t.id }), text: "incidents" })),
      table(["Source", "Health", "Last poll", "Polls", "Last error"], sourceRows(t)))),
    exports ? el("h2", { text: "Exporters" }) : null,
    exports ? table(["Name", "Destination", "Status"], exports.items.map((x) => row(x.name, x.destination, x.status ? JSON.stringify(x.status) : "not run"))) : null,
  );
}

// ---- Routing ----

const ROUTES = [
  [/^\/ui\/incidents$/, incidentsPage],
  [/^\/ui\/incidents\/([^/]+)$/, incidentPage],
  [/^\/ui\/users\/([^/]+)\/([^/]+)$/, userPage],
  [/^\/ui\/messages\/([^/]+)$/, messagesPage],
  [/^\/ui\/messages\/([^/]+)\/([^/]+)$/, messagePage],
  [/^\/ui\/actions$/, actionsPage],
  [/^\/ui\/models$/, modelsPage],
  [/^\/ui\/tenants$/, tenantsPage],
];

async function start() {
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/logout", { method: "POST" }).catch(() => {});
    window.localStorage.removeItem("harrier.csrf");
    window.location.assign("/ui/login");
  });
  const path = window.location.pathname;
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  try {
    const session = await api("/api/v1/session");
    sessionRole = session.role;
    document.getElementById("who").textContent = `${session.name} (${session.role})`;
    if (!route) throw new ApiError(404, `no page at ${path}`);
    const args = path.match(route[0]).slice(1).map(decodeURIComponent);
    await route[1](...args);
    document.body.dataset.loaded = "true";
  } catch (failure) {
    if (failure.status !== 401) render(notice(`Could not load this page: ${failure.message}`, true));
    document.body.dataset.loaded = "error";
  }
}

start();
