// Logs in with the form's user name and password, keeps the CSRF token for the pages' changes, and
// returns to the page that sent the user here.
"use strict";

function nextPage() {
  const next = new URLSearchParams(window.location.search).get("next") || "";
  // Only a page of this UI: a path on this origin, never another site.
  return next.startsWith("/ui/") && !next.startsWith("//") ? next : "/ui/incidents";
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  const body = {
    username: document.getElementById("username").value,
    password: document.getElementById("password").value,
  };
  try {
    const response = await fetch("/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      error.textContent = data.error || `Login failed (HTTP ${response.status})`;
      return;
    }
    window.localStorage.setItem("harrier.csrf", data.csrf_token);
    window.location.assign(nextPage());
  } catch (failure) {
    error.textContent = `Login failed: ${failure.message}`;
  }
});
