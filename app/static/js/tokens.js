// The page that shows a new API token once: a Copy button, and a reload that does not post again.
(function () {
  "use strict";
  // The page came from the form's POST; reloading it would create a second token.
  if (window.history.replaceState) window.history.replaceState(null, "", window.location.href);
  if (!navigator.clipboard) return; // only on HTTPS or localhost; the text stays selectable
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { button.textContent = "Copied"; },
        function () { button.textContent = "Select and copy it by hand"; }
      );
    });
  });
})();
