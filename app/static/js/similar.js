// Similar questions while asking: refreshes the panel as the title is typed.
// The page works without this script (the server fills the panel on "Check" and before posting).
(function () {
  "use strict";
  var panel = document.getElementById("similar-panel");
  var title = document.getElementById("title");
  if (!panel || !title || !window.fetch) return;
  var list = document.getElementById("similar-list");
  var endpoint = panel.getAttribute("data-endpoint");
  var timer = null;
  var lastAsked = title.value.trim();

  function render(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      if (item.solved) {
        var badge = document.createElement("span");
        badge.className = "badge solved";
        badge.textContent = "\u2713 Solved";
        li.appendChild(badge);
        li.appendChild(document.createTextNode(" "));
      }
      var link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      li.appendChild(link);
      var count = document.createElement("small");
      count.textContent = " " + item.answers + (item.answers === 1 ? " answer" : " answers");
      li.appendChild(count);
      if (item.accepted_excerpt) {
        var excerpt = document.createElement("p");
        excerpt.className = "accepted-excerpt";
        excerpt.textContent = item.accepted_excerpt;
        li.appendChild(excerpt);
      }
      list.appendChild(li);
    });
    panel.hidden = items.length === 0;
  }

  function lookup() {
    var text = title.value.trim();
    if (text === lastAsked) return;
    lastAsked = text;
    if (text.length < 8) { render([]); return; }
    fetch(endpoint + "?title=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (items) { if (title.value.trim() === text) render(items); })
      .catch(function () { /* the server-side check still works */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 350);
  });
})();
