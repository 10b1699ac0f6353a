// 花名册: upload, read the preview (by name, with every problem and its row), then apply.
import { api, fill, flash, h } from "./lib.js";

function post(p) {
  return p ? `${p.grid_name}·${p.role}` : "—";
}

function changeList(title, people, id) {
  if (!people.length) return null;
  return h("div", { id },
    h("h3", {}, `${title}（${people.length} 人）`),
    h("ul", {}, ...people.map((c) => h("li", {},
      c.before && c.after ? `${c.name}：${post(c.before)} → ${post(c.after)}` : `${c.name}：${post(c.after || c.before)}`,
      c.line ? h("span", { class: "muted" }, `（第 ${c.line} 行）`) : null))));
}

function previewOf(data, apply) {
  const r = data.report;
  const notes = [];
  // The summary already says which title rows and columns were skipped.
  if (r.filled_rows.length) notes.push(`有 ${r.filled_rows.length} 行的网格信息按上一行补齐（合并单元格或留空）。`);
  const problems = r.problems.length
    ? h("div", { id: "roster-problems" }, h("h3", { class: "error" }, `有 ${r.problems.length} 处问题，改好后重新上传：`),
      h("ul", {}, ...r.problems.map((p) => h("li", { class: "error" }, `第 ${p.line} 行：${p.text}`))))
    : null;
  const nothing = !r.added.length && !r.changed.length && !r.removed.length;
  return h("div", { class: "panel", id: "roster-preview" },
    h("h2", {}, `预览：${data.file}`),
    h("p", {}, r.summary),
    ...notes.map((n) => h("p", { class: "muted" }, n)),
    problems,
    changeList("新增", r.added, "roster-added"),
    changeList("职务或网格变更", r.changed, "roster-changed"),
    changeList("移除", r.removed, "roster-removed"),
    nothing && !problems ? h("p", { class: "muted" }, "人员没有变化。") : null,
    r.ok ? h("button", { type: "button", id: "roster-apply", onclick: apply }, "确认导入") : null);
}

export async function rosterUpload() {
  const result = h("div");
  const form = h("form", { class: "filters", id: "roster-form" },
    h("label", {}, "花名册文件（.xlsx 或 .csv，最大 5 MB）", h("input", { type: "file", name: "file", accept: ".xlsx,.csv", required: true })),
    h("button", { type: "submit" }, "上传并预览"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(result, h("p", { class: "muted" }, "正在读取……"));
    try {
      const data = await api("/console/api/roster/preview", { method: "POST", body: new FormData(form) });
      const apply = async () => {
        try {
          const done = await api("/console/api/roster/apply", { method: "POST", body: { token: data.token } });
          flash(`已导入：${done.report.summary}`);
          fill(result, h("p", { id: "roster-done" }, `已导入：${done.report.summary}`));
        } catch (error) { flash(error.message, "bad"); }
      };
      fill(result, previewOf(data, apply));
    } catch (error) {
      fill(result, h("p", { class: "error", id: "roster-error" }, error.message));
    }
  });
  const node = h("section", {},
    h("div", { class: "panel" }, h("h2", {}, "导入花名册"),
      h("p", { class: "muted" }, "先预览：会列出新增、变更、移除的人员和每一处问题（含行号），确认后才写入。标题行、序号/备注列、合并单元格、“联系电话”等常见写法都能识别。"),
      form),
    result);
  return { node };
}
