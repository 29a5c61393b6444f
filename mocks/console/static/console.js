// kipu-harness console: polls /api/state and /api/feed (only what is new since the last entry seen)
// every second and draws them. Plain DOM, no framework, nothing fetched from anywhere else.
"use strict";

(() => {
  const POLL_MS = 1000;
  const MAX_ROWS = 2000;  // feed rows kept on the page (the oldest go first)
  const NAMES = { crm: "CRM", emr: "EMR", rcm: "RCM", payer: "PAYER", client: "client" };
  let cursor = null;
  let lastState = "";

  // h("td", {class: "x"}, "text", child): an element; text is always text (never HTML).
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  // -- the systems -----------------------------------------------------------------------------

  const tone = (status) => {
    const s = String(status || "").toLowerCase();
    if (/(reject|fail|refus|inactive|not_found|discharged)/.test(s)) return s === "discharged" ? "info" : "bad";
    if (/(admitted|pushed|accepted|active|delivered)/.test(s)) return "ok";
    if (/(pending|pre-admission|open|prospect|auth_required)/.test(s)) return "warn";
    return "";
  };

  function fact(label, value) {
    return value === null || value === undefined || value === "" ? null : [` · ${label} `, h("b", {}, value)];
  }

  function personItem(system, p) {
    const facts = [h("b", {}, `#${p.id}`), fact("DOB", p.dob), fact("SSN", p.ssn)];
    if (system === "emr") {
      facts.push(fact("MR", p.mr_number), fact("pre-admission status", p.pre_admission_status),
                 fact("admitted", p.admitted), fact("discharged", p.discharged),
                 fact("dx", (p.diagnoses || []).join(", ")),
                 fact("RCM", p.rcm && p.rcm.connected ? `connected, ${p.rcm.sends} sent` : null));
    } else if (system === "rcm") {
      facts.push(fact("EMR patient", p.emr_patient_id), fact("CRM prospect", p.crm_prospect_id));
    } else if (system === "crm") {
      for (const o of p.opportunities || []) facts.push(fact(`opportunity ${o.id}`, [o.level_of_care, o.status].filter(Boolean).join(", ")));
    }
    const item = h("li", { class: "person", "data-id": p.id, "data-status": p.status },
      h("div", { class: "who" }, h("span", { class: "name" }, p.name), h("span", { class: `badge ${tone(p.status)}` }, p.status)),
      h("div", { class: "facts" }, facts));
    for (const e of p.episodes || []) {
      const parts = [`Episode ${e.id}`, e.admit_date && `admitted ${e.admit_date}`,
        e.discharge_date && `discharged ${e.discharge_date}`, e.mr_number && `MR ${e.mr_number}`,
        e.principal_diagnosis && `dx ${e.principal_diagnosis}`,
        `${e.insurances} insurance${e.insurances === 1 ? "" : "s"}`, `${e.reviews} U/R`];
      item.append(h("div", { class: "episode" }, parts.filter(Boolean).join(" · ")));
    }
    return item;
  }

  function outboxBlock(outbox) {
    const counts = h("div", { class: "counts" }, Object.entries(outbox.counts).map(([status, n]) =>
      h("span", { class: `count ${status}${n ? " some" : ""}`, "data-status": status }, `${status} `, h("b", {}, n))));
    const rows = outbox.rows.map((r) => h("tr", { class: r.status, "data-id": r.id },
      h("td", {}, `#${r.id}`), h("td", {}, `→ ${NAMES[r.destination] || r.destination}`), h("td", {}, r.wire),
      h("td", { class: "status" }, r.status), h("td", {}, `×${r.attempts}`),
      h("td", { class: "detail", title: r.path }, r.last_error && r.status !== "delivered" ? r.last_error : r.detail)));
    const table = rows.length ? h("table", {}, h("tbody", {}, rows)) : h("div", { class: "none" }, "nothing sent yet");
    return [counts, h("div", { class: "outbox" }, table)];
  }

  function renderSystem(system, s) {
    const article = document.getElementById(`sys-${system}`);
    const scroll = [...article.querySelectorAll(".people, .outbox")].map((el) => el.scrollTop);
    const links = s.url ? [h("a", { href: s.url, target: "_blank", rel: "noopener" }, s.url), " · ",
      h("a", { href: s.api_page, target: "_blank", rel: "noopener" }, "API page"), " · ",
      h("a", { href: s.openapi, target: "_blank", rel: "noopener" }, "OpenAPI")] : [];
    const more = s.total > s.people.length ? ` (newest ${s.people.length} of ${s.total})` : "";
    const extra = system === "payer" ? [h("div", { class: "facts" }, `X12 interchanges made: ${s.interchanges}`)] : [];
    article.replaceChildren(...[
      h("h2", {}, s.title), h("div", { class: "links" }, links),
      s.elsewhere ? h("div", { class: "elsewhere", "data-elsewhere": s.elsewhere },
        `Sent elsewhere: the mocks' traffic for the ${s.title} goes to ${s.elsewhere} (a real system). ` +
        "This column shows its mock, which stays idle.") : null,
      h("h3", {}, `${s.noun} `, h("small", {}, `${s.total}${more}`)), extra,
      s.people.length ? h("ul", { class: "people" }, s.people.map((p) => personItem(system, p)))
        : h("div", { class: "none" }, `no ${s.noun} yet`),
      h("h3", {}, "outbox"), outboxBlock(s.outbox)].flat(Infinity).filter(Boolean));
    article.querySelectorAll(".people, .outbox").forEach((el, i) => { el.scrollTop = scroll[i] || 0; });
  }

  function renderState(st) {
    const text = JSON.stringify(st);
    if (text === lastState) return;
    lastState = text;
    const clock = document.getElementById("clock");
    clock.textContent = `clock ${st.clock.now.replace("T", " ")}${st.clock.pinned ? " (pinned)" : ""}`;
    clock.className = `chip${st.clock.pinned ? " pinned" : ""}`;
    document.getElementById("mllp").textContent = st.mllp ? `RCM MLLP ${st.mllp}` : "RCM MLLP: none";
    for (const [system, s] of Object.entries(st.systems)) renderSystem(system, s);
  }

  // -- the feed --------------------------------------------------------------------------------

  const party = (system) => h("span", { class: `sys ${system}` }, NAMES[system] || system);

  function outcomeBadge(e) {
    if (!e.outcome) return e.failed ? h("span", { class: "badge bad" }, "failed") : null;
    const ok = !e.failed;
    return h("span", { class: `badge ${ok ? "ok" : "bad"}` }, e.outcome);
  }

  function feedRow(e, fresh) {
    const route = e.from ? [party(e.from), h("span", { class: "arrow" }, "→"), party(e.to)] : [party(e.system)];
    const summary = [e.summary, e.control_id ? h("div", { class: "ctl" }, `control id ${e.control_id}`) : null];
    const body = e.body ? h("details", {}, h("summary", {}, summary),
      h("pre", {}, e.body + (e.truncated ? "\n… (cut here)" : ""))) : summary;
    return h("tr", { class: `ch-${e.channel}${e.failed ? " failed" : ""}${fresh ? " fresh" : ""}`, "data-system": e.system,
        "data-kind": e.kind, "data-outcome": e.outcome, "data-control-id": e.control_id, "data-channel": e.channel },
      h("td", { class: "time", title: e.at }, e.at.slice(11, 19) || e.at), h("td", {}, party(e.system)),
      h("td", {}, route), h("td", { class: "kind" }, e.kind), h("td", {}, outcomeBadge(e)), h("td", {}, body));
  }

  function addEntries(answer) {
    const tbody = document.querySelector("#feed tbody");
    for (const system of answer.reset) {  // that journal was emptied: its old rows go
      tbody.querySelectorAll(`tr[data-system="${system}"]`).forEach((tr) => tr.remove());
    }
    for (const e of answer.entries) tbody.prepend(feedRow(e, cursor !== null));  // the first page is not news
    while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild.remove();
    setTimeout(() => tbody.querySelectorAll("tr.fresh").forEach((tr) => tr.classList.remove("fresh")), 1500);
    const rows = tbody.rows.length;
    const bad = tbody.querySelectorAll("tr.failed").length;
    document.getElementById("feed-count").textContent = rows ? `${rows} shown, ${bad} failed` : "";
    document.getElementById("feed-empty").hidden = rows > 0;
  }

  function setLink(ok, error) {
    const link = document.getElementById("link");
    link.className = `chip ${ok ? "live" : "down"}`;
    link.textContent = ok ? "live (every second)" : "console unreachable: retrying";
    link.title = ok ? "polling the console every second" : String(error);
  }

  async function tick() {
    try {
      renderState(await getJSON("/api/state"));
      for (let round = 0; round < 10; round += 1) {  // catch up in pages when much is new
        const answer = await getJSON("/api/feed" + (cursor ? `?after=${encodeURIComponent(cursor)}` : ""));
        addEntries(answer);
        cursor = answer.cursor;
        if (!answer.more) break;
      }
      setLink(true);
    } catch (error) {
      setLink(false, error);
    } finally {
      setTimeout(tick, POLL_MS);
    }
  }

  document.getElementById("filters").addEventListener("change", (event) => {
    const feed = document.getElementById("feed");
    const box = event.target;
    if (box.id === "failed-only") feed.classList.toggle("failed-only", box.checked);
    else feed.classList.toggle(`hide-${box.dataset.channel}`, !box.checked);
  });
  tick();
})();
