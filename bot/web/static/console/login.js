// The log-in form: posts JSON, then goes where the user was headed (same site only).
const form = document.getElementById("login-form");
const box = document.getElementById("login-error");

function target() {
  const next = new URLSearchParams(location.search).get("next") || "/console";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/console";
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
