// The documents portal on the phone: offline pages (service worker), page images retried when
// the network drops, and signing in by scanning the printed delegate card with the camera.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/p/sw.js", { scope: "/p/" }).catch(function () {});
  }

  // A page image that failed (network gone, server busy) is asked for again, a few times.
  document.querySelectorAll(".page img").forEach(function (img) {
    var tries = 0;
    img.addEventListener("error", function () {
      if (tries >= 4) return;
      tries += 1;
      setTimeout(function () {
        var src = img.getAttribute("src");
        img.setAttribute("src", src.split("&retry=")[0] + "&retry=" + tries);
      }, 1500 * tries);
    });
  });

  // Signing in: the card's QR holds the badge token (or a soft-badge link that ends with it).
  var scan = document.getElementById("scan");
  if (!scan) return;
  var start = document.getElementById("scan-start");
  var video = document.getElementById("scan-video");
  var canvas = document.getElementById("scan-frame");
  var status = document.getElementById("scan-status");
  var field = document.getElementById("token");
  var form = document.getElementById("signin-form");

  function tokenOf(text) {
    var match = /\/(?:b|enter)\/([^/?#]+)\/?$/.exec(text.trim());
    return match ? decodeURIComponent(match[1]) : text.trim();
  }

  function found(text) {
    field.value = tokenOf(text);
    if (video.srcObject) video.srcObject.getTracks().forEach(function (t) { t.stop(); });
    form.submit();
  }

  start.addEventListener("click", async function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = scan.dataset.unsupported;
      return;
    }
    var detector = null;
    if ("BarcodeDetector" in window) {
      try {
        var formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.indexOf("qr_code") >= 0) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (e) { detector = null; }
    }
    if (!detector && !window.jsQR) {
      status.textContent = scan.dataset.unsupported;
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      status.textContent = scan.dataset.unsupported;
      return;
    }
    video.hidden = false;
    start.hidden = true;
    await video.play();
    var context = canvas.getContext("2d", { willReadFrequently: true });
    async function tick() {
      if (video.readyState >= 2) {
        if (detector) {
          var codes = await detector.detect(video);
          if (codes.length) return found(codes[0].rawValue);
        } else {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          if (code && code.data) return found(code.data);
        }
      }
      setTimeout(tick, 150);
    }
    tick();
  });
})();
