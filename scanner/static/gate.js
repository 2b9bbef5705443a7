// The check-in gate: camera, USB barcode scanner (keyboard wedge) or name search in; a full-screen
// green / yellow / red answer out. When the network drops, badges are verified here with the
// congress public key (Ed25519, WebCrypto) and the register fetched at start, and the scans wait
// in localStorage until the server takes them; the server de-duplicates by scan id.
"use strict";
(function () {
  const root = document.getElementById("gate");
  const slug = root.dataset.slug;
  // The server's verdict table (scanner/verdicts.py) in the page's language: code -> message and
  // colour, plus the screen's own words; in the page so that it is there offline too.
  const TABLE = JSON.parse(root.dataset.verdicts);
  const VERDICTS = TABLE.verdicts;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // Times are the congress's wall clock in the page's language, whatever this device's zone.
  const ZONE = root.dataset.timeZone || "Asia/Ho_Chi_Minh";
  const LANG = document.documentElement.lang || "vi";
  const TIME = new Intl.DateTimeFormat(LANG, { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const DATE = LANG === "vi"
    ? new Intl.DateTimeFormat("vi", { timeZone: ZONE, day: "2-digit", month: "2-digit", year: "numeric" })
    : new Intl.DateTimeFormat(LANG, { timeZone: ZONE, day: "numeric", month: "short", year: "numeric" });
  function instant(iso) {
    // An ISO time without an offset (kept by an older version) is UTC, as the server meant it.
    if (!iso) return null;
    const when = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : iso + "Z");
    return isNaN(when.getTime()) ? null : when;
  }
  const wallTime = (iso) => { const when = instant(iso); return when ? TIME.format(when) : ""; };
  const wallDate = (iso) => { const when = instant(iso); return when ? DATE.format(when) : "?"; };
  const QUEUE_KEY = "congress-gate-queue-" + slug;
  const BOOT_KEY = "congress-gate-bootstrap-" + slug;
  const LOCAL_KEY = "congress-gate-admitted-" + slug;
  const WAITING_KEY = "congress-gate-unnamed-" + slug;
  // LANG (above) is also the language the server answers in: the one chosen in the
  // interface, not the browser's own language.
  const sittingSelect = document.getElementById("sitting");
  const gateInput = document.getElementById("gate-name");
  const statusLine = document.getElementById("status");
  const netLabel = document.getElementById("net");
  const queueCount = document.getElementById("queue-count");
  let boot = null;
  let publicKey = null;
  let lastText = "";
  let lastAt = 0;
  let busy = false;

  gateInput.value = localStorage.getItem("congress-gate-name") || "";
  const openOption = sittingSelect.querySelector("option[data-open]");
  if (openOption) sittingSelect.value = openOption.value;

  // A closed sitting chosen while another one is open: said at once, before any scan.
  const sittingNote = document.getElementById("sitting-note");
  function checkSitting() {
    const chosen = sittingSelect.selectedOptions[0];
    const wrong = Boolean(openOption && chosen && !chosen.dataset.open);
    sittingNote.textContent = wrong ? VERDICTS.sitting_closed.message : "";
    sittingNote.hidden = !wrong;
  }
  sittingSelect.addEventListener("change", checkSitting);
  checkSitting();

  // --- the offline copy of this page: one online visit is enough -----------------------------
  const offlineReady = (async () => {
    if (!("serviceWorker" in navigator)) return;
    const scope = "/c/" + slug + "/gate";
    try {
      await navigator.serviceWorker.register(scope + "/sw.js", { scope: scope });
      const registration = await navigator.serviceWorker.ready;
      const urls = [location.pathname].concat(
        performance.getEntriesByType("resource").map((e) => e.name).filter((u) => u.startsWith(location.origin) && u.indexOf("/api/") < 0)
      );
      await new Promise((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = resolve;
        registration.active.postMessage({ type: "keep", urls: urls }, [channel.port2]);
        setTimeout(resolve, 15000);
      });
      root.dataset.offlineReady = "1";
    } catch (e) { /* no offline copy on this browser: the page still works online */ }
  })();

  // --- the queue of scans not yet taken by the server ------------------------------------
  const readJSON = (key, fallback) => { try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; } };
  const queue = () => readJSON(QUEUE_KEY, []);
  const saveQueue = (items) => { localStorage.setItem(QUEUE_KEY, JSON.stringify(items)); queueCount.textContent = String(items.length); };
  saveQueue(queue());

  const ONLINE_TEXT = netLabel.textContent;
  function setOnline(value) {
    statusLine.classList.toggle("offline", !value);
    netLabel.textContent = value ? ONLINE_TEXT : TABLE.network;
  }

  async function post(path, body) {
    const response = await fetch(path + "?lang=" + encodeURIComponent(LANG), {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data: data };
  }

  async function sync() {
    const items = queue();
    if (!items.length) return;
    try {
      const reply = await post("/api/c/" + slug + "/scans/batch", { scans: items.slice(0, 500) });
      if (!reply.ok) return;
      const done = new Set(reply.data.answers.map((a) => a.scan_id));
      saveQueue(queue().filter((s) => !done.has(s.scan_id)));
      setOnline(true);
    } catch (e) {
      setOnline(false);
    }
  }
  setInterval(sync, 3000);
  window.addEventListener("online", sync);

  // --- the register and key for offline checks -------------------------------------------
  async function loadBootstrap() {
    try {
      const response = await fetch("/api/c/" + slug + "/gate/bootstrap", { credentials: "same-origin" });
      if (response.ok) {
        boot = await response.json();
        localStorage.setItem(BOOT_KEY, JSON.stringify(boot));
      }
    } catch (e) { /* offline at start: use the copy from the last visit */ }
    if (!boot) boot = readJSON(BOOT_KEY, null);
    if (boot && boot.public_key && crypto.subtle) {
      try {
        publicKey = await crypto.subtle.importKey("raw", b64bytes(boot.public_key), { name: "Ed25519" }, false, ["verify"]);
      } catch (e) { publicKey = null; }
    }
  }
  const ready = loadBootstrap();

  function b64bytes(text) {
    const raw = atob(text);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const CONTEXT = new TextEncoder().encode("congress/delegate-badge/v1\u0000");

  // The token text inside whatever was scanned: the token itself or a soft-badge link.
  function tokenOf(text) {
    let t = text.trim();
    const at = t.toLowerCase().lastIndexOf("/b/");
    if (at >= 0) t = t.slice(at + 3).split(/[/?#]/)[0];
    return t.toUpperCase();
  }

  function decodeToken(token) {
    if (token.length !== 121 || token.slice(0, 2) !== "D1") return null;
    const bytes = new Uint8Array(74);
    let bits = 0, value = 0, index = 0;
    for (const ch of token.slice(2)) {
      const v = ALPHABET.indexOf(ch);
      if (v < 0) return null;
      value = (value << 5) | v;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        if (index < 74) bytes[index++] = (value >> bits) & 0xff;
      }
    }
    if ((value & ((1 << bits) - 1)) !== 0) return null; // unused bits must be zero
    const view = new DataView(bytes.buffer);
    return {
      congress: view.getUint32(0), delegate: view.getUint32(4), version: view.getUint16(8),
      signed: bytes.slice(0, 10), signature: bytes.slice(10),
    };
  }

  async function checkOffline(text, sitting) {
    await ready;
    const parsed = decodeToken(tokenOf(text));
    if (!parsed) return { result: "malformed", delegate: null };
    if (!boot || parsed.congress !== boot.congress.id) return { result: "other_congress", delegate: null };
    if (!publicKey) return { result: "unknown", delegate: null };
    const message = new Uint8Array(CONTEXT.length + 10);
    message.set(CONTEXT);
    message.set(parsed.signed, CONTEXT.length);
    const good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, parsed.signature, message);
    if (!good) return { result: "forged", delegate: null };
    const person = boot.delegates[String(parsed.delegate)];
    if (!person) return { result: "unknown", delegate: null };
    const delegate = Object.assign({ id: parsed.delegate }, person);
    if (person.revoked) return { result: "revoked", delegate: delegate };
    if (parsed.version < person.version) return { result: "replaced", delegate: delegate, replaced_at: person.replaced_at };
    const seen = readJSON(LOCAL_KEY, {});
    const key = sitting + ":" + parsed.delegate;
    if (seen[key]) return { result: "already_admitted", delegate: delegate, admitted_gate: seen[key].gate, admitted_at: seen[key].at };
    return { result: "admitted", delegate: delegate };
  }

  function remember(sitting, answer) {
    if (answer.result !== "admitted" || !answer.delegate) return;
    const seen = readJSON(LOCAL_KEY, {});
    seen[sitting + ":" + answer.delegate.id] = { gate: answer.admitted_gate || gateInput.value, at: answer.admitted_at || new Date().toISOString() };
    localStorage.setItem(LOCAL_KEY, JSON.stringify(seen));
  }

  // --- one scan ----------------------------------------------------------------------------
  function newScanId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // --- scans made before the gate is named: kept, then checked in once it is ------------------
  const gateNeeded = document.getElementById("gate-needed");
  const waiting = () => readJSON(WAITING_KEY, []);
  function showWaiting() {
    const count = waiting().length;
    gateNeeded.textContent = count ? TABLE.gate_needed.replace("%(count)s", String(count)) : "";
    gateNeeded.hidden = !count;
    gateInput.classList.toggle("needed", count > 0);
  }
  function keepUntilNamed(item) {
    localStorage.setItem(WAITING_KEY, JSON.stringify(waiting().concat([item]).slice(-500)));
    showWaiting();
    // The field is marked, not focused: a USB scanner's next badge must not type into it.
    document.getElementById("wedge").focus();
  }
  async function gateNamed() {
    const gate = gateInput.value.trim();
    if (!gate) return;
    localStorage.setItem("congress-gate-name", gate);
    const items = waiting();
    localStorage.removeItem(WAITING_KEY);
    showWaiting();
    for (const item of items) await submit(item.method, item.text, item.code, item.person, item.scanned_at);
    document.getElementById("wedge").focus();
  }
  gateInput.addEventListener("change", gateNamed);
  showWaiting();

  async function submit(method, text, code, person, scannedAt) {
    const gate = gateInput.value.trim();
    const when = scannedAt || new Date().toISOString();
    if (!gate) {
      keepUntilNamed({ method: method, text: text || "", code: code || "", person: person || null, scanned_at: when });
      return;
    }
    localStorage.setItem("congress-gate-name", gate);
    const sitting = parseInt(sittingSelect.value, 10);
    const scan = { scan_id: newScanId(), sitting: sitting, gate: gate, method: method, scanned_at: when };
    if (method === "manual") scan.delegate_code = code; else scan.text = text;
    let answer = null;
    try {
      const reply = await post("/api/c/" + slug + "/scans", scan);
      setOnline(true);
      if (reply.status >= 500) throw new Error("server");
      answer = reply.ok ? reply.data : { result: "malformed", colour: "red", message: (reply.data.error || {}).message || "" };
    } catch (e) {
      setOnline(false);
      saveQueue(queue().concat([scan]));
      if (method === "manual") {
        // The server decides when the queue is sent; here, the same local duplicate check.
        const seen = readJSON(LOCAL_KEY, {});
        const key = sitting + ":" + (person && person.id);
        answer = person && seen[key]
          ? { result: "already_admitted", delegate: person, admitted_gate: seen[key].gate, admitted_at: seen[key].at, offline: true }
          : { result: "admitted", delegate: person || null, offline: true };
      } else {
        answer = await checkOffline(text, sitting);
        answer.offline = true;
      }
    }
    remember(sitting, answer);
    show(answer);
  }

  function show(answer) {
    const box = document.getElementById("result");
    const verdict = VERDICTS[answer.result] || { message: answer.result, colour: "red" };
    const colour = answer.colour || verdict.colour;
    box.className = "result " + colour;
    let message = answer.message || verdict.message;
    if (answer.offline && !answer.message) {
      message = message.replace("%(gate)s", answer.admitted_gate || "").replace("%(time)s", wallTime(answer.admitted_at)).replace("%(date)s", wallDate(answer.replaced_at));
    }
    document.getElementById("result-message").textContent = message;
    const offlineTag = document.getElementById("result-offline");
    offlineTag.textContent = answer.offline ? TABLE.offline : "";
    offlineTag.hidden = !answer.offline;
    const d = answer.delegate;
    document.getElementById("result-name").textContent = d ? d.full_name : "";
    document.getElementById("result-delegation").textContent = d ? d.delegation : "";
    // Full delegate or alternate, in large words and its own colour.
    const kind = document.getElementById("result-kind");
    const kindWords = d && TABLE.kinds[d.kind];
    kind.textContent = kindWords ? kindWords.toLocaleUpperCase(LANG) : "";
    kind.className = "result-kind " + (d ? d.kind : "");
    kind.hidden = !kindWords;
    // The photo: from the network, or the copy the page's service worker kept when offline.
    const photo = document.getElementById("result-photo");
    photo.hidden = true;
    photo.removeAttribute("src");
    if (d && d.has_photo) {
      photo.onload = () => { photo.hidden = false; };
      photo.onerror = () => { photo.hidden = true; };
      photo.src = "/c/" + slug + "/gate/photo/" + d.id;
    }
    box.dataset.result = answer.result;
    box.hidden = false;
    cue(colour);
    clearTimeout(show.timer);
    show.timer = setTimeout(() => { box.hidden = true; document.getElementById("wedge").focus(); }, colour === "green" ? 1500 : 3000);
  }
  document.getElementById("result").addEventListener("click", (e) => { e.currentTarget.hidden = true; });

  function cue(colour) {
    if (navigator.vibrate) navigator.vibrate(colour === "green" ? 80 : [200, 100, 200]);
    try {
      const ctx = cue.ctx || (cue.ctx = new (window.AudioContext || window.webkitAudioContext)());
      const tones = colour === "green" ? [880] : colour === "yellow" ? [660, 660] : [220, 220];
      tones.forEach((freq, i) => {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.value = 0.2;
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.25);
        osc.stop(ctx.currentTime + i * 0.25 + 0.18);
      });
    } catch (e) { /* no sound on this device */ }
  }

  async function onScan(text, method) {
    const now = Date.now();
    // A camera sees the same badge many times a second: one scan per badge per 4 s.
    if (busy || (text === lastText && now - lastAt < 4000)) return;
    lastText = text; lastAt = now; busy = true;
    try { await submit(method, text); } finally { busy = false; }
  }

  // --- keyboard wedge: the USB scanner types the code and Enter ------------------------------
  document.getElementById("wedge-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("wedge");
    const text = input.value.trim();
    input.value = "";
    if (text) { lastText = ""; onScan(text, "wedge"); }
  });

  // --- camera -------------------------------------------------------------------------------
  document.getElementById("camera-start").addEventListener("click", async () => {
    const video = document.getElementById("camera");
    // A camera problem is a message beside the button, never a verdict: no badge was read.
    const cameraMessage = document.getElementById("camera-message");
    const problem = (key) => { cameraMessage.textContent = TABLE.camera[key]; cameraMessage.hidden = false; };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { problem("unsupported"); return; }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      const name = (e && e.name) || "";
      problem(
        name === "NotFoundError" || name === "OverconstrainedError" ? "missing"
          : name === "NotAllowedError" || name === "SecurityError" ? "denied"
          : name === "NotReadableError" || name === "AbortError" ? "busy" : "failed"
      );
      return;
    }
    cameraMessage.hidden = true;
    video.hidden = false;
    await video.play();
    let detector = null;
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (e) { detector = null; }
    }
    const canvas = document.getElementById("frame");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    async function tick() {
      if (video.readyState >= 2 && !busy) {
        let text = null;
        if (detector) {
          const found = await detector.detect(video).catch(() => []);
          if (found.length) text = found[0].rawValue;
        } else if (window.jsQR) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          if (code) text = code.data;
        }
        if (text) await onScan(text, "camera");
      }
      setTimeout(tick, 120);
    }
    tick();
  });

  // --- a delegate without a badge -------------------------------------------------------------
  document.getElementById("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = document.getElementById("search").value.trim();
    const list = document.getElementById("search-results");
    list.textContent = "";
    if (!q) return;
    let found = [];
    try {
      const response = await fetch("/api/congresses/" + slug + "/delegates?per_page=20&q=" + encodeURIComponent(q), { credentials: "same-origin" });
      found = (await response.json()).delegates || [];
    } catch (err) {
      await ready;
      const words = q.toLowerCase().split(/\s+/);
      found = Object.entries((boot && boot.delegates) || {})
        .map(([id, d]) => Object.assign({ id: Number(id) }, d))
        .filter((d) => words.every((w) => (d.full_name + " " + d.code).toLowerCase().includes(w)))
        .slice(0, 20);
    }
    const template = document.getElementById("search-item");
    for (const d of found) {
      const item = template.content.firstElementChild.cloneNode(true);
      item.querySelector(".who").textContent = d.full_name + " · " + d.code + " · " + d.delegation;
      item.querySelector("button").addEventListener("click", () => submit("manual", "", d.code, d));
      list.appendChild(item);
    }
  });
})();
