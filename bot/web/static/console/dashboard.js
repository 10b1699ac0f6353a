// 总览: the grid tree with each subtree's figures; a click narrows every view to that grid.
import { api, fill, h, pct, state } from "./lib.js";
import { render, setScope } from "./console.js";

function row(node, depth) {
  const pick = () => {
    setScope(node.code, node.name);
    render();
  };
  return h("tr", { class: `clickable level-${node.level}${state.grid === node.code ? " selected" : ""}`, "data-code": node.code, onclick: pick },
    h("td", { class: `indent-${Math.min(depth + 1, 5)}` }, node.name),
    h("td", { class: "wide" }, node.head || "—"),
    h("td", { class: "num" }, node.open),
    h("td", { class: `num${node.overdue ? " late" : ""}` }, node.overdue),
    h("td", { class: "num" }, node.waiting),
    h("td", { class: "num" }, node.supervised),
    h("td", { class: "num" }, pct(node.resolve_rate)),
  );
}

function subtree(nodes, rootCode) {
  const children = new Map();
  for (const node of nodes) {
    const key = node.parent_id ?? "root";
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(node);
  }
  const ids = new Set(nodes.map((n) => n.id));
  const roots = rootCode ? nodes.filter((n) => n.code === rootCode) : nodes.filter((n) => !ids.has(n.parent_id));
  const out = [];
  const walk = (node, depth) => {
    out.push(row(node, depth));
    for (const child of children.get(node.id) || []) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return out;
}

export async function dashboard() {
  const body = h("tbody");
  const table = h("table", { id: "grid-tree" },
    h("thead", {}, h("tr", {},
      h("th", {}, "网格"), h("th", { class: "wide" }, "网格长"), h("th", { class: "num" }, "未办结"),
      h("th", { class: "num" }, "超期"), h("th", { class: "num" }, "待核查"), h("th", { class: "num" }, "督办"),
      h("th", { class: "num" }, "本月按期处置率"))),
    body);
  const refresh = async () => {
    const data = await api("/console/api/tree");
    fill(body, ...subtree(data.nodes, state.grid));
  };
  await refresh();
  const node = h("section", { class: "panel" },
    h("h2", {}, "各级网格工单情况"),
    h("p", { class: "muted" }, "数字为该网格及其下级网格合计；点击一行只看该网格。数据随群里的消息实时更新。"),
    table);
  return { node, refresh };
}
