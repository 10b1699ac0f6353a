// 预警, 报表, 账号, 操作日志.
import { api, fill, flash, h, pct, state, when } from "./lib.js";

const COLORS = ["黄色", "橙色", "红色"];

export async function alertDesk() {
  const node = h("section", { class: "panel", id: "alert-desk" });
  const refresh = async () => {
    const { alert } = await api("/console/api/alert");
    const parts = [h("h2", {}, "重污染天气预警")];
    if (alert) {
      const missing = alert.receipts.filter((r) => !r.at);
      parts.push(
        h("p", { class: "late", id: "alert-now" }, `${alert.color}预警生效中：${when(alert.starts_at)} 至 ${when(alert.ends_at)}（${alert.issued_by} 发布）`),
        alert.note ? h("p", {}, alert.note) : null,
        h("p", { id: "alert-tally" }, `已确认 ${alert.confirmed}/${alert.groups} 个群`),
        missing.length ? h("p", { class: "muted" }, `未确认：${missing.map((r) => r.grid).join("、")}`) : null,
        h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "网格"), h("th", {}, "确认人"), h("th", {}, "确认时间"))),
          h("tbody", {}, ...alert.receipts.map((r) => h("tr", {}, h("td", {}, r.grid), h("td", {}, r.who || "—"), h("td", { class: r.at ? "" : "late" }, r.at ? when(r.at) : "未确认"))))),
      );
    } else {
      parts.push(h("p", { class: "muted", id: "alert-now" }, "当前没有生效的预警。"));
    }
    if (state.me.may_act && !state.me.scope_code) parts.push(alertForms(alert, refresh));
    fill(node, ...parts);
  };
  await refresh();
  return { node, refresh };
}

function alertForms(alert, refresh) {
  const send = async (body) => {
    try {
      const result = await api("/console/api/alert", { method: "POST", body });
      flash(result.reply);
      await refresh();
    } catch (error) {
      flash(error.message, "bad");
    }
  };
  const colorSelect = () => h("select", { name: "color" }, ...COLORS.map((c) => h("option", { value: c }, c)));
  const issue = h("form", { id: "alert-issue", class: "filters" },
    h("label", {}, "级别", colorSelect()),
    h("label", {}, "时段", h("input", { name: "period", placeholder: "如 12月2日0时至12月4日24时（可不填：即日起3天）", size: 38, maxlength: 200 })),
    h("button", { type: "submit" }, "发布预警"));
  issue.addEventListener("submit", (e) => { e.preventDefault(); const d = new FormData(issue); send({ action: "issue", color: d.get("color"), period: d.get("period") }); });
  const forms = [h("h2", {}, "发布"), issue];
  if (alert) {
    const upgrade = h("form", { id: "alert-upgrade", class: "filters" }, h("label", {}, "升级为", colorSelect()), h("button", { type: "submit" }, "升级"));
    upgrade.addEventListener("submit", (e) => { e.preventDefault(); send({ action: "upgrade", color: new FormData(upgrade).get("color") }); });
    const lift = h("button", { type: "button", id: "alert-lift", class: "secondary", onclick: () => send({ action: "lift" }) }, "解除预警");
    forms.push(upgrade, lift);
  }
  return h("div", {}, ...forms);
}

export async function reportShelf(route) {
  const kind = route.params.get("kind") || "weekly";
  const node = h("section", { class: "panel", id: "report-shelf" });
  const data = await api(`/console/api/report?kind=${kind}&grid=${encodeURIComponent(state.grid || "")}`);
  const tabs = h("p", {}, h("a", { href: "#/report?kind=weekly" }, "周报"), "　", h("a", { href: "#/report?kind=monthly" }, "月报"));
  const ranking = h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "名次"), h("th", {}, "网格"), h("th", { class: "num" }, "得分"), h("th", {}, "等级"), h("th", { class: "num" }, "上报"), h("th", { class: "num" }, "按期处置率"))),
    h("tbody", {}, ...data.ranking.map((r) => h("tr", {}, h("td", {}, r.rank ?? "—"), h("td", {}, r.name), h("td", { class: "num" }, r.score === null ? "—" : r.score.toFixed(1)), h("td", {}, r.grade || "—"), h("td", { class: "num" }, r.reported), h("td", { class: "num" }, pct(r.resolve_rate))))));
  fill(node, 
    h("h2", {}, `${data.grid}${data.title}`), tabs,
    data.chart ? h("img", { class: "chart", src: data.chart, alt: `${data.grid}${data.title}图表` }) : null,
    h("h2", {}, "排名"), ranking,
    h("h2", {}, "全文"), h("pre", { class: "report" }, data.text));
  return { node };
}

export async function users() {
  const node = h("section", { class: "panel", id: "users" });
  const refresh = async () => {
    const data = await api("/console/api/users");
    const rows = data.users.map((u) => h("tr", {}, h("td", {}, u.username), h("td", {}, u.name), h("td", {}, u.role_name), h("td", {}, u.scope),
      h("td", {}, u.disabled ? "已停用" : "正常"), h("td", {}, u.last_login ? when(u.last_login) : "从未登录"),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => toggle(u) }, u.disabled ? "启用" : "停用"))));
    fill(node, h("h2", {}, "办公室账号"),
      h("table", {}, h("thead", {}, h("tr", {}, ...["用户名", "姓名", "角色", "范围", "状态", "最近登录", ""].map((t) => h("th", {}, t)))), h("tbody", {}, ...rows)),
      h("h2", {}, "新建账号"), form);
  };
  const toggle = async (u) => {
    try {
      await api(`/console/api/users/${encodeURIComponent(u.username)}`, { method: "POST", body: { disabled: u.disabled ? "0" : "1" } });
      await refresh();
    } catch (error) { flash(error.message, "bad"); }
  };
  const form = h("form", { class: "filters", id: "user-add" },
    h("label", {}, "用户名", h("input", { name: "username", required: true, maxlength: 32 })),
    h("label", {}, "姓名", h("input", { name: "name", required: true, maxlength: 30 })),
    h("label", {}, "初始密码（至少10位）", h("input", { name: "password", type: "password", required: true, minlength: 10, autocomplete: "new-password" })),
    h("label", {}, "角色", h("select", { name: "role" }, h("option", { value: "查看" }, "查看（只读）"), h("option", { value: "管理员" }, "管理员"))),
    h("label", {}, "只管某镇（网格编码，可不填）", h("input", { name: "grid", maxlength: 64 })),
    h("button", { type: "submit" }, "建立"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const result = await api("/console/api/users", { method: "POST", body: Object.fromEntries(new FormData(form).entries()) });
      flash(`已建立账号 ${result.username}。`);
      form.reset();
      await refresh();
    } catch (error) { flash(error.message, "bad"); }
  });
  await refresh();
  return { node, refresh };
}

const ACTION_NAMES = {
  login: "登录", login_failed: "登录失败", logout: "退出", export: "导出台账", user_add: "新建账号",
  user_disable: "停用账号", user_enable: "启用账号", user_passwd: "修改密码", roster_import: "导入花名册",
  alert_issue: "发布预警", alert_upgrade: "升级预警", alert_lift: "解除预警", public_route: "分派群众举报",
  public_reject: "不予受理举报", apikey_add: "发放 api_key", apikey_revoke: "吊销 api_key",
};

export async function auditLog() {
  const data = await api("/console/api/audit");
  const labels = state.meta.actions;
  const rows = data.entries.map((e) => h("tr", {}, h("td", {}, when(e.at)), h("td", {}, e.username), h("td", {}, labels[e.action] || ACTION_NAMES[e.action] || e.action), h("td", {}, e.target), h("td", { class: "wide" }, e.detail), h("td", { class: "wide" }, e.ip)));
  const node = h("section", { class: "panel", id: "audit" }, h("h2", {}, "操作日志（最近 200 条）"),
    h("table", {}, h("thead", {}, h("tr", {}, ...["时间", "账号", "操作", "对象", "内容", "地址"].map((t) => h("th", {}, t)))), h("tbody", {}, ...rows)));
  return { node };
}
