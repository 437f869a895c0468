// Canned responses on a thread page: a click inserts the text into the answer box for editing.
// Without this script the link reloads the page with ?canned=ID and the server fills the box.
(function () {
  "use strict";
  var box = document.getElementById("body");
  if (!box) return;
  document.querySelectorAll("a.canned-insert").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var text = link.getAttribute("data-canned-body") || "";
      box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + text : text;
      box.focus();
      box.scrollIntoView({ block: "center" });
    });
  });
})();
