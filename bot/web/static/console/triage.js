// 群众举报: the triage queue; route a report to a grid (one is suggested) or turn it down.
import { api, fill, flash, h, state, when } from "./lib.js";

function card(r, refresh) {
  const grid = h("input", { name: "grid", value: r.suggested ? r.suggested.code : "", placeholder: "网格编码或名称", required: true, maxlength: 100 });
  const route = h("form", { class: "filters", "data-route": r.id },
    h("label", {}, r.suggested ? `分派到（建议：${r.suggested.name}）` : "分派到", grid),
    h("button", { type: "submit" }, "分派"));
  route.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const done = await api(`/console/api/public/${r.id}/route`, { method: "POST", body: { grid: grid.value.trim() } });
      flash(done.reply);
      await refresh();
    } catch (error) { flash(error.message, "bad"); }
  });
  const note = h("input", { name: "note", placeholder: "不予受理的原因（举报人可见）", maxlength: 500, size: 30 });
  const reject = h("form", { class: "filters" }, note, h("button", { type: "submit", class: "secondary" }, "不予受理"));
  reject.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const done = await api(`/console/api/public/${r.id}/reject`, { method: "POST", body: { note: note.value.trim() } });
      flash(done.reply);
      await refresh();
    } catch (error) { flash(error.message, "bad"); }
  });
  return h("div", { class: "panel", "data-report": r.code },
    h("h2", {}, `${r.code} · ${r.service_name}`),
    h("dl", { class: "fields" },
      h("dt", {}, "地点"), h("dd", {}, r.address || `${r.lat}, ${r.long}`),
      h("dt", {}, "描述"), h("dd", {}, r.description || "—"),
      h("dt", {}, "举报人"), h("dd", {}, [r.name, r.phone].filter(Boolean).join(" ") || "匿名"),
      h("dt", {}, "来源"), h("dd", {}, r.channel === "open311" ? "Open311 接口" : "网页举报"),
      h("dt", {}, "时间"), h("dd", {}, when(r.created_at))),
    r.media_url ? h("p", {}, "附带照片链接：", h("a", { href: r.media_url, target: "_blank", rel: "noopener noreferrer" }, r.media_url)) : null,
    r.photo ? h("a", { href: `/console/api/public/${r.id}/photo`, target: "_blank", rel: "noopener" },
      h("img", { class: "chart", src: `/console/api/public/${r.id}/photo`, alt: "举报照片" })) : null,
    r.status === "triage" && state.me.may_act && !state.me.scope_code ? route : null,
    r.status === "triage" && state.me.may_act && !state.me.scope_code ? reject : null,
    r.ticket_code ? h("p", {}, "已分派为工单 ", h("a", { href: `#/ticket/${encodeURIComponent(r.ticket_code)}` }, r.ticket_code), `（${r.grid_name}）`) : null);
}

export async function publicQueue() {
  const list = h("div", { id: "public-queue" });
  const refresh = async () => {
    const data = await api("/console/api/public");
    fill(list, ...(data.reports.length ? data.reports.map((r) => card(r, refresh)) : [h("p", { class: "muted" }, "没有待分派的群众举报。")]));
  };
  await refresh();
  const node = h("section", {},
    h("div", { class: "panel" }, h("h2", {}, "群众举报（待分派）"),
      h("p", { class: "muted" }, "公众举报地址：", h("a", { href: "/public/report", target: "_blank" }, "/public/report"), "。分派后即成为普通工单（来源：群众举报），举报人可凭编号查询进度。")),
    list);
  return { node, refresh };
}
