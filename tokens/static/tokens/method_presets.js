// Adds one-click preset buttons above the API method checkboxes of the token form.
// Without JavaScript the "Preset" select does the same when the form is saved.
(function () {
  "use strict";

  function setup() {
    const wrapper = document.getElementById("id_methods");
    const first = document.querySelector('input[name="methods"][data-axerrio-methods]');
    if (!wrapper || !first) {
      return;
    }
    const axerrio = first.getAttribute("data-axerrio-methods").split(",");
    const boxes = Array.from(document.querySelectorAll('input[name="methods"]'));
    const bar = document.createElement("p");
    const presets = [["Tick the Axerrio methods", axerrio], ["Untick all", []]];

    presets.forEach(function (preset) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = preset[0];
      button.style.marginRight = "8px";
      button.addEventListener("click", function () {
        boxes.forEach(function (box) {
          box.checked = preset[1].indexOf(box.value) !== -1;
        });
      });
      bar.appendChild(button);
    });
    wrapper.parentNode.insertBefore(bar, wrapper);
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
