// 工单: the filtered, sorted, paged list (its filter lives in the address), and one ticket.
import { api, fill, flash, h, query, state, when } from "./lib.js";

const COLUMNS = [
  ["code", "编号", true], ["category", "类型", true], ["location", "地点", false],
  ["town", "镇（街道）", false], ["grid", "责任网格", false], ["head", "责任人", false], ["status", "状态", true],
  ["created", "上报时间", true], ["due", "整改期限", true], ["resolution", "处置情况", false],
];

function filterFrom(params) {
  const f = Object.fromEntries(params.entries());
  if (state.grid && !f.grid) f.grid = state.grid;
  return f;
}

function go(f) {
  location.hash = `#/tickets?${query(f)}`;
}

function filterForm(f) {
  const meta = state.meta;
  const statusBoxes = Object.entries(meta.statuses).map(([value, name]) =>
    h("label", {}, h("input", { type: "checkbox", name: "status", value, checked: (f.status || "").split(",").includes(value) }), name));
  const form = h("form", { class: "filters", id: "ticket-filter" },
    h("label", {}, "搜索", h("input", { name: "q", value: f.q || "", placeholder: "编号、地点、描述", maxlength: 100 })),
    h("label", {}, "类型", h("select", { name: "category" }, h("option", { value: "" }, "全部"),
      ...meta.categories.map((c) => h("option", { value: c, selected: f.category === c }, c)))),
    h("label", {}, "来源", h("select", { name: "source" }, h("option", { value: "" }, "全部"),
      ...Object.entries(meta.sources).map(([v, n]) => h("option", { value: v, selected: f.source === v }, n)))),
    h("label", {}, "上报自", h("input", { type: "date", name: "from", value: f.from || "" })),
    h("label", {}, "至", h("input", { type: "date", name: "to", value: f.to || "" })),
    h("div", { class: "checks" }, ...statusBoxes),
    h("div", { class: "checks" },
      h("label", {}, h("input", { type: "checkbox", name: "overdue", value: "1", checked: f.overdue === "1" }), "只看超期"),
      h("label", {}, h("input", { type: "checkbox", name: "supervised", value: "1", checked: f.supervised === "1" }), "只看督办")),
    h("button", { type: "submit" }, "筛选"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    go({
      q: data.get("q"), category: data.get("category"), source: data.get("source"),
      from: data.get("from"), to: data.get("to"), status: data.getAll("status").join(","),
      overdue: data.get("overdue"), supervised: data.get("supervised"), grid: f.grid,
      sort: f.sort, dir: f.dir,
    });
  });
  return form;
}

function ticketRow(t) {
  const open = () => { location.hash = `#/ticket/${encodeURIComponent(t.code)}`; };
  return h("tr", { class: "clickable", "data-code": t.code, onclick: open },
    h("td", {}, t.code, t.supervised ? h("span", { class: "tag supervised" }, "督办") : null),
    h("td", {}, t.category),
    h("td", {}, t.location),
    h("td", {}, t.town || "—"),
    h("td", {}, t.grid_name),
    h("td", {}, t.head || "—"),
    h("td", { class: t.overdue ? "late" : "" }, t.overdue ? `${t.status_name}（超期）` : t.status_name),
    h("td", {}, when(t.created_at)),
    h("td", {}, when(t.due_at)),
    h("td", { class: "wide" }, t.resolution),
  );
}

export async function ticketList(route) {
  const f = filterFrom(route.params);
  const body = h("tbody");
  const summary = h("span", { class: "muted" });
  const pager = h("div", { class: "pager" });
  const head = h("tr", {}, ...COLUMNS.map(([key, name, sortable]) => {
    if (!sortable) return h("th", {}, name);
    const mark = (f.sort || "created") === key ? (f.dir === "asc" ? " ▲" : " ▼") : "";
    const flip = () => go({ ...f, sort: key, dir: (f.sort || "created") === key && f.dir !== "asc" ? "asc" : "desc", page: "" });
    return h("th", { class: "sortable", onclick: flip }, name + mark);
  }));
  const refresh = async () => {
    const page = await api(`/console/api/tickets?${query(f)}`);
    fill(body, ...page.rows.map(ticketRow));
    if (!page.rows.length) body.append(h("tr", {}, h("td", { colspan: COLUMNS.length, class: "muted" }, "没有符合条件的工单。")));
    const pages = Math.max(1, Math.ceil(page.total / page.size));
    summary.textContent = `共 ${page.total} 件，第 ${page.page}/${pages} 页`;
    fill(pager, 
      h("button", { class: "secondary", type: "button", disabled: page.page <= 1, onclick: () => go({ ...f, page: page.page - 1 }) }, "上一页"),
      summary,
      h("button", { class: "secondary", type: "button", disabled: page.page >= pages, onclick: () => go({ ...f, page: page.page + 1 }) }, "下一页"),
    );
  };
  await refresh();
  const exportLink = h("a", { href: `/console/api/export?${query({ ...f, page: "", size: "" })}`, id: "export-link", download: "" }, "导出台账（Excel）");
  const node = h("section", { class: "panel" },
    h("h2", {}, "工单台账"),
    filterForm(f),
    h("p", {}, exportLink, h("span", { class: "muted" }, "　按当前筛选导出：汇总、各镇问题整改台账、巡查和预警响应台账。")),
    h("table", { id: "ticket-table" }, h("thead", {}, head), body),
    pager);
  return { node, refresh };
}

function fields(t) {
  const pairs = [
    ["状态", t.overdue ? `${t.status_name}（已超期）` : t.status_name], ["类型", t.category],
    ["地点", t.location], ["描述", t.description || "—"], ["责任网格", t.grid_name],
    ["责任人", t.head || "—"], ["上报人", t.reporter || "—"], ["来源", t.source_name],
    ["上报时间", when(t.created_at)], ["整改期限", when(t.due_at)],
    ["返工 / 延期", `${t.reworks} 次 / ${t.extensions} 次`],
  ];
  if (t.supervised) pairs.unshift(["督办", "挂牌督办中"]);
  return h("dl", { class: "fields" }, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

const FIELD_INPUTS = {
  grid: () => h("input", { name: "grid", placeholder: "网格编码或名称", required: true, maxlength: 100 }),
  note: () => h("input", { name: "note", placeholder: "说明 / 原因", maxlength: 500, size: 30 }),
  deadline: () => h("input", { name: "deadline", placeholder: "期限，如 3天（可不填）", maxlength: 40 }),
};

function actionForm(code, action, done) {
  const labels = state.meta.actions;
  const inputs = (state.meta.action_fields[action] || []).map((name) => FIELD_INPUTS[name]());
  const form = h("form", { "data-action": action }, ...inputs, h("button", { type: "submit" }, labels[action]));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    const body = { action, ...Object.fromEntries(new FormData(form).entries()) };
    try {
      const result = await api(`/console/api/tickets/${encodeURIComponent(code)}/actions`, { method: "POST", body });
      flash(result.reply || "已完成。");
      await done();
    } catch (error) {
      flash(error.message, "bad");
      button.disabled = false;
    }
  });
  return form;
}

export async function ticketDetail(route) {
  const code = route.arg;
  const node = h("section", { class: "panel", id: "ticket-detail" });
  const refresh = async () => {
    const t = await api(`/console/api/tickets/${encodeURIComponent(code)}`);
    const photos = t.photos.filter((p) => p.status === "saved").map((p) =>
      h("figure", {}, h("a", { href: `/console/api/photos/${p.id}`, target: "_blank", rel: "noopener" },
        h("img", { src: `/console/api/photos/${p.id}?thumb=1`, alt: `${p.stage === "after" ? "整改后" : "现场"}照片` })),
        h("figcaption", {}, `${p.stage === "after" ? "整改后" : "现场"} · ${p.who} · ${when(p.at)}`)));
    const steps = t.timeline.map((s) => h("li", {}, h("span", { class: "when" }, when(s.at)), `${s.who} ${s.what}`, s.detail ? `：${s.detail}` : ""));
    fill(node, 
      h("p", {}, h("a", { href: "#/tickets" }, "← 返回工单列表")),
      h("h2", {}, `工单 ${t.code}`),
      fields(t),
      t.waiting.length ? h("p", { class: "late" }, ...t.waiting.map((w) => h("div", {}, `待决定：${w}`))) : null,
      h("h2", {}, "照片"),
      photos.length ? h("div", { class: "photos" }, ...photos) : h("p", { class: "muted" }, "没有照片。"),
      h("h2", {}, "处置记录"),
      h("ol", { class: "timeline" }, ...steps),
      t.actions.length ? h("div", { class: "actions" }, h("h2", {}, "办公室操作"), ...t.actions.map((a) => actionForm(t.code, a, refresh))) : null,
    );
  };
  await refresh();
  return { node, refresh };
}
