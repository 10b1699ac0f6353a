// The log-in form: posts JSON, then goes where the user was headed (same site only).
const form = document.getElementById("login-form");
const box = document.getElementById("login-error");

// Only somewhere on this site: the browser's own parser decides, so "/\\evil" cannot slip by.
function target() {
  const next = new URLSearchParams(location.search).get("next") || "/console";
  try {
    const url = new URL(next, location.origin);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch (_) { /* not a URL at all */ }
  return "/console";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  box.hidden = true;
  const body = {
    username: document.getElementById("username").value.trim(),
    password: document.getElementById("password").value,
  };
  let data = {};
  let response;
  try {
    response = await fetch("/console/api/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    data = await response.json();
  } catch (_) {
    data = { error: "连接不上服务器，请稍后再试。" };
  }
  if (response && response.ok) {
    location.assign(target());
    return;
  }
  box.textContent = data.error || "登录失败，请重试。";
  box.hidden = false;
});
