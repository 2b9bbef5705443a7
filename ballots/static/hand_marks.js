// The keyboard flow of a hand reading or a hand entry: the serial, then name numbers.
// Enter in the serial box goes to the number box; a number + Enter toggles that name (strike
// lists); Enter on an empty number box saves the form. Nothing here talks to the server.
(function () {
  "use strict";
  const form = document.querySelector("form.hand-marks");
  if (!form) return;
  const toggle = form.querySelector("#toggle");
  const serial = form.querySelector("input[name=serial]");
  const member = form.querySelector("input[name=member]");
  const paint = (box) => box.closest("label").classList.toggle("struck", box.checked);
  form.querySelectorAll("input[name=marked]").forEach((box) => {
    paint(box);
    box.addEventListener("change", () => paint(box));
  });
  if (serial) {
    serial.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        toggle.focus();
      }
    });
  }
  toggle.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const number = toggle.value.trim();
    toggle.value = "";
    if (!number) {
      form.requestSubmit();
      return;
    }
    const boxes = form.querySelectorAll(`input[name=marked][data-number="${CSS.escape(number)}"]`);
    if (boxes.length === 1) {
      boxes[0].checked = !boxes[0].checked;
      paint(boxes[0]);
      toggle.classList.remove("unknown");
    } else {
      toggle.classList.add("unknown");
    }
  });
  const first = member && !member.value ? member : serial || toggle;
  first.focus();
})();
