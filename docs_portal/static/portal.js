// The documents portal on the phone: offline pages (service worker), page images retried when
// the network drops, and signing in by scanning the printed delegate card with the camera.
(function () {
  "use strict";

  var CACHE = "congress-portal-v1";

  // Offline from the first visit: the worker is handed this page and everything it loaded, with
  // the congress's offline page, as soon as it is active.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/p/sw.js", { scope: "/p/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        var urls = [location.pathname, document.body.dataset.offline].concat(
          performance.getEntriesByType("resource")
            .map(function (e) { return e.name; })
            .filter(function (u) { return u.indexOf(location.origin + "/") === 0; })
        );
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = resolve;
          registration.active.postMessage({ type: "keep", urls: urls }, [channel.port2]);
          setTimeout(resolve, 20000);
        });
      })
      .then(function () { document.documentElement.dataset.offlineReady = "1"; })
      .catch(function () {});
  }

  // The offline page: what of this congress is saved on this phone, readable now.
  var offline = document.getElementById("offline");
  if (offline && window.caches) {
    var retry = document.getElementById("retry");
    if (retry) retry.addEventListener("click", function () { location.reload(); });
    var prefix = "/p/" + offline.dataset.slug;
    var listed = document.getElementById("saved");
    caches.open(CACHE).then(function (cache) {
      return cache.keys().then(function (requests) {
        var pages = requests.map(function (r) { return new URL(r.url); }).filter(function (u) {
          return u.pathname === prefix || /^\/p\/[^/]+\/d\/\d+(\/v\/\d+)?$/.test(u.pathname) && u.pathname.indexOf(prefix + "/") === 0;
        });
        var seen = {};
        return Promise.all(pages.map(function (u) {
          if (seen[u.pathname]) return null;
          seen[u.pathname] = true;
          return cache.match(u.href).then(function (response) { return response.text(); }).then(function (html) {
            var title = new DOMParser().parseFromString(html, "text/html").querySelector("h1");
            return { href: u.pathname, title: title ? title.textContent.trim() : u.pathname };
          });
        }));
      });
    }).then(function (found) {
      found = (found || []).filter(Boolean);
      found.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.href;
        var t = document.createElement("span");
        t.className = "t";
        t.textContent = item.title;
        a.appendChild(t);
        li.appendChild(a);
        listed.appendChild(li);
      });
      document.getElementById("none-saved").hidden = found.length > 0;
    }).catch(function () {});
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

  setUpViewer();

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

  // --- the reader on a phone: one page at a time, zoomed in place ---------------------------
  // Tapping a page opens it over the list: pinch or double-tap to zoom, drag to move, swipe or
  // the arrows for the next page; the page's text under it can be selected and copied.
  function setUpViewer() {
    var viewer = document.getElementById("viewer");
    if (!viewer) return;
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.page"));
    if (!figures.length) return;
    var stage = viewer.querySelector(".viewer-stage");
    var image = viewer.querySelector(".viewer-image");
    var where = viewer.querySelector(".viewer-where");
    var text = viewer.querySelector(".viewer-text");
    var index = 0, scale = 1, x = 0, y = 0;
    var MAX = 5, DOUBLE_TAP_MS = 350;

    function clampPosition() {
      var w = stage.clientWidth, h = stage.clientHeight;
      x = Math.min(0, Math.max(w - w * scale, x));
      y = Math.min(0, Math.max(h - h * scale, y));
    }
    function apply() {
      clampPosition();
      image.style.transform = "translate(" + x + "px, " + y + "px) scale(" + scale + ")";
      viewer.dataset.scale = scale.toFixed(2);
      // Zoomed in: the sharpest rendering of the page, so that small print stays readable.
      if (scale > 1.4 && image.dataset.sharp !== "1") {
        image.dataset.sharp = "1";
        image.src = figures[index].dataset.full;
      }
    }
    function zoomAt(next, cx, cy) {
      next = Math.min(MAX, Math.max(1, next));
      x = cx - (cx - x) * (next / scale);
      y = cy - (cy - y) * (next / scale);
      scale = next;
      if (scale === 1) { x = 0; y = 0; }
      apply();
    }
    function show(i) {
      index = Math.min(figures.length - 1, Math.max(0, i));
      var figure = figures[index];
      scale = 1; x = 0; y = 0;
      image.dataset.sharp = "";
      // Never the last page's picture under this page's number while the new one loads.
      image.style.visibility = "hidden";
      image.onload = function () { image.style.visibility = ""; };
      image.src = figure.dataset.full.replace(/w=\d+/, "w=1440");
      image.alt = figure.querySelector("img").alt;
      where.textContent = image.alt + " / " + figures.length;
      var pageText = figure.querySelector(".pagetext");
      text.innerHTML = pageText ? pageText.innerHTML : "";
      text.hidden = !pageText;
      viewer.dataset.page = figure.dataset.number;
      viewer.querySelector('[data-act="prev"]').disabled = index === 0;
      viewer.querySelector('[data-act="next"]').disabled = index === figures.length - 1;
      viewer.scrollTop = 0;
      apply();
    }
    function open(i) {
      show(i);
      if (viewer.hidden) {
        viewer.hidden = false;
        document.body.classList.add("viewing");
        history.pushState({ viewer: true }, "");
      }
    }
    function close() {
      viewer.hidden = true;
      document.body.classList.remove("viewing");
      var figure = figures[index];
      if (figure) figure.scrollIntoView({ block: "start" });
    }
    window.addEventListener("popstate", function () { if (!viewer.hidden) close(); });
    function leave() { if (history.state && history.state.viewer) history.back(); else close(); }

    figures.forEach(function (figure, i) {
      var link = figure.querySelector("a.open-page");
      if (link) link.addEventListener("click", function (event) { event.preventDefault(); open(i); });
    });
    viewer.querySelector(".viewer-bar").addEventListener("click", function (event) {
      var act = event.target.closest("[data-act]");
      if (!act) return;
      var action = act.dataset.act;
      if (action === "close") leave();
      else if (action === "prev") show(index - 1);
      else if (action === "next") show(index + 1);
      else if (action === "zoom") zoomAt(scale > 1 ? 1 : 2.5, stage.clientWidth / 2, stage.clientHeight / 3);
    });
    document.addEventListener("keydown", function (event) {
      if (viewer.hidden) return;
      if (event.key === "Escape") leave();
      else if (event.key === "ArrowRight" || event.key === "PageDown") show(index + 1);
      else if (event.key === "ArrowLeft" || event.key === "PageUp") show(index - 1);
      else if (event.key === "+" || event.key === "=") zoomAt(scale * 1.5, stage.clientWidth / 2, stage.clientHeight / 2);
      else if (event.key === "-") zoomAt(scale / 1.5, stage.clientWidth / 2, stage.clientHeight / 2);
    });

    // Touch, pen and mouse through pointer events: two fingers pinch, one drags or swipes.
    var pointers = {};
    var pinch = null, drag = null, lastTap = null;
    function local(event) {
      var box = stage.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    function two() {
      var ids = Object.keys(pointers);
      var a = pointers[ids[0]], b = pointers[ids[1]];
      return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2 };
    }
    stage.addEventListener("pointerdown", function (event) {
      stage.setPointerCapture(event.pointerId);
      pointers[event.pointerId] = local(event);
      var count = Object.keys(pointers).length;
      if (count === 2) {
        var g = two();
        pinch = { d: g.d, scale: scale };
        drag = null;
      } else if (count === 1) {
        var p = pointers[event.pointerId];
        drag = { x0: p.x, y0: p.y, x: p.x, y: p.y, t: Date.now(), moved: false };
      }
    });
    stage.addEventListener("pointermove", function (event) {
      if (!pointers[event.pointerId]) return;
      var p = local(event);
      pointers[event.pointerId] = p;
      if (pinch && Object.keys(pointers).length >= 2) {
        var g = two();
        zoomAt(pinch.scale * g.d / pinch.d, g.cx, g.cy);
      } else if (drag) {
        if (Math.abs(p.x - drag.x0) + Math.abs(p.y - drag.y0) > 10) drag.moved = true;
        if (scale > 1) { x += p.x - drag.x; y += p.y - drag.y; apply(); }
        drag.x = p.x; drag.y = p.y;
      }
    });
    function up(event) {
      if (!pointers[event.pointerId]) return;
      var p = pointers[event.pointerId];
      delete pointers[event.pointerId];
      if (Object.keys(pointers).length < 2) pinch = null;
      if (!drag || Object.keys(pointers).length) return;
      var dx = p.x - drag.x0, dy = p.y - drag.y0;
      if (scale === 1 && drag.moved && Math.abs(dx) > 60 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
        show(dx < 0 ? index + 1 : index - 1);
      } else if (!drag.moved && Date.now() - drag.t < 300) {
        var now = Date.now();
        if (lastTap && now - lastTap.t < DOUBLE_TAP_MS && Math.hypot(p.x - lastTap.x, p.y - lastTap.y) < 40) {
          zoomAt(scale > 1 ? 1 : 2.5, p.x, p.y);
          lastTap = null;
        } else {
          lastTap = { t: now, x: p.x, y: p.y };
        }
      }
      drag = null;
    }
    stage.addEventListener("pointerup", up);
    stage.addEventListener("pointercancel", up);
    // A laptop's trackpad pinch arrives as a wheel with ctrl.
    stage.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) return;
      event.preventDefault();
      var p = local(event);
      zoomAt(scale * Math.exp(-event.deltaY / 200), p.x, p.y);
    }, { passive: false });
  }
})();
