// Keyboard shortcuts (1-5) for the decision buttons, and no double decisions while the page moves on.
(function () {
  var form = document.getElementById("decide");
  if (!form) { return; }
  var sent = false;
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    // buttons are disabled after the browser has read the pressed one's value
    setTimeout(function () { form.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }, 0);
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || /input|textarea/i.test(event.target.tagName)) { return; }
    var button = form.querySelector('button[data-key="' + event.key + '"]');
    if (button) { event.preventDefault(); button.click(); }
  });
})();
