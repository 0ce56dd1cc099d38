/*
 * Web chat of the Service public régional de l'orientation (SPRO).
 *
 * One <script> tag embeds it (see docs/webchat.md):
 *   <script src="https://SERVER/webhooks/webchat/static/spro-chat.js"
 *           data-region="24" data-title="…" data-color="#1f4e8c" defer></script>
 * Options (data-attributes of the script tag):
 *   data-server     base URL of the assistant's server (default: where this file comes from)
 *   data-region     2-digit INSEE region code (regional line, sent with each message)
 *   data-title      title of the chat
 *   data-color      main colour (buttons, header); ignored if white text on it is below 4.5:1
 *   data-mode       "widget" (floating button + panel, default) or "page" (inline)
 *   data-container  CSS selector of the element that holds the "page" mode chat
 *   data-timeout    seconds before a request is given up (default 30)
 *
 * Safety: every text from the person or the server is rendered with textContent;
 * links come only from the orientation payload and must be http(s), tel or mailto.
 * Nothing is loaded from another host; the conversation is kept in sessionStorage
 * (this tab only) as data, never as HTML; a live chat's id and token also in
 * localStorage while it lasts (other tabs join it).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__sproChatLoaded) { return; }
  window.__sproChatLoaded = true;

  var data = script.dataset;
  var scriptUrl = new URL(script.src, window.location.href);
  var base = data.server
    ? new URL("webhooks/webchat/", data.server.replace(/\/?$/, "/")).href
    : new URL("../", scriptUrl).href;
  var handoverBase = new URL("../handover/", base).href;
  var mode = data.mode === "page" ? "page" : "widget";
  var timeoutMs = Math.max(1, Number(data.timeout) || 30) * 1000;
  var SLOW_MS = Math.min(8000, timeoutMs / 2);
  var STORE_KEY = "spro-chat:v1:" + base;
  var MAX_CHARS = 2000;
  var MAX_HISTORY = 200;  // entries kept in the tab; older ones are dropped
  var LINK_SCHEMES = ["http:", "https:"];
  var DEFAULT_TITLE = "Orientation : posez votre question";
  // Headings follow the chat's title: h1 on the full page, h2 in the widget.
  var SUBHEADING = mode === "page" ? "h2" : "h3";

  var T = {
    launcher: "Une question sur votre orientation ?",
    close: "Fermer",
    closeLabel: "Fermer la discussion",
    restart: "Recommencer",
    restartLabel: "Recommencer : effacer cette conversation et en commencer une nouvelle",
    restarted: "Nouvelle conversation commencée. L'ancienne a été effacée de cet onglet.",
    notice: "Gratuit et anonyme : n'indiquez ni votre nom, ni votre courriel, ni votre téléphone.",
    log: "Conversation",
    you: "Vous : ",
    bot: "L'assistant : ",
    inputLabel: "Votre message",
    placeholder: "Écrivez votre question…",
    hint: "Entrée pour envoyer, Maj + Entrée pour aller à la ligne.",
    send: "Envoyer",
    typing: "L'assistant écrit",
    slow: "La réponse prend plus de temps que d'habitude, merci de patienter",
    unreachable: "Le service ne répond pas pour le moment.",
    restarting: " Il redémarre : votre message partira tout seul dès qu'il répondra de nouveau.",
    restartingLine: " En attendant, vous pouvez appeler la ligne régionale",
    restartingNoLine: " En attendant, le numéro de la ligne régionale est indiqué dans « Parler à une personne ».",
    tooSlow: "Le service met trop de temps à répondre.",
    kept: " Votre message n'est pas perdu : il est resté dans la zone de saisie.",
    keptChoice: " Votre choix n'est pas perdu.",
    resend: "Renvoyer le message",
    busy: "Un message est déjà en cours d'envoi, merci de patienter.",
    replies: "Réponses proposées",
    privacy: "Vos données",
    human: "Parler à une personne",
    humanAsk: "Écrire à un conseiller ou une conseillère",
    adviserSuffix: ", du service d'orientation",
    adviserSr: " (une personne du service d'orientation) : ",
    desk: "Information : ",
    leaveQueue: "Quitter la file d'attente",
    leaveAdviser: "Terminer l'échange avec la personne",
    asking: "Demande transmise, un instant…",
    callbackInstead: "Être recontacté·e plutôt",
    nobodyLeft: "Plus aucun conseiller ni aucune conseillère n'est disponible pour écrire en ce moment. Vous pouvez attendre, ou laisser un numéro ou une adresse pour être recontacté·e.",
    lost: "La liaison avec le conseiller ou la conseillère est interrompue. Vous pouvez continuer avec l'assistant.",
    reconnecting: "La connexion est coupée, nouvelle tentative en cours. Les messages reçus entre-temps s'afficheront dès son retour."
  };
  var HANDOVER_ACTIVE = ["waiting", "taken"];

  /* ---------- small helpers ---------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function srOnly(text) { return el("span", "spro-sr", text); }

  function safeHref(value, schemes) {
    if (typeof value !== "string" || !value) { return null; }
    try {
      var url = new URL(value);
      return schemes.indexOf(url.protocol) >= 0 ? url.href : null;
    } catch (e) { return null; }
  }

  function telHref(phone) {
    if (typeof phone !== "string") { return null; }
    var digits = phone.replace(/[^\d+]/g, "");
    return /^\+?\d{3,15}$/.test(digits) ? "tel:" + digits : null;
  }

  function mailHref(email) {
    return typeof email === "string" && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(email)
      ? "mailto:" + email : null;
  }

  function link(href, text, extra) {
    var a = el("a", "spro-link", text);
    a.href = href;
    if (extra) { a.appendChild(srOnly(extra)); }
    if (/^https?:/.test(href)) {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  // Conversation ids are issued and signed by the server (POST conversations).
  var SIGNED_ID = /^c-[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{22}$/;

  function luminance(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) { return null; }
    var rgb = [0, 2, 4].map(function (i) {
      var c = parseInt(m[1].substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
  }

  function frNumber(value, digits) {
    return Number(value).toLocaleString("fr-FR", { maximumFractionDigits: digits });
  }

  /* ---------- state, kept in sessionStorage (this tab only) ---------- */

  var memoryStore = {};
  function loadState() {
    var raw = null;
    try { raw = window.sessionStorage.getItem(STORE_KEY); } catch (e) { raw = memoryStore[STORE_KEY]; }
    var state = null;
    try { state = raw ? JSON.parse(raw) : null; } catch (e) { state = null; }
    if (!state || typeof state.sender !== "string" || !Array.isArray(state.history)) {
      state = { sender: "", history: [], draft: "", open: false };
    }
    if (!SIGNED_ID.test(state.sender)) { state.sender = ""; }
    return state;
  }
  function saveState() {
    var raw = JSON.stringify(state);
    try { window.sessionStorage.setItem(STORE_KEY, raw); } catch (e) { memoryStore[STORE_KEY] = raw; }
    if (handoverActive()) { shareHandover(); }
  }

  // A live chat is shared with the person's other tabs while it lasts (its conversation
  // id and token only, for an hour at most); the rest of the conversation stays in this tab.
  var LIVE_KEY = "spro-chat:live:v1:" + base;
  var LIVE_MS = 60 * 60 * 1000;
  function shareHandover() {
    var live = { sender: state.sender, token: state.handover.token, at: Date.now() };
    try { window.localStorage.setItem(LIVE_KEY, JSON.stringify(live)); } catch (e) { /* this tab only */ }
  }
  function unshareHandover() {
    try { window.localStorage.removeItem(LIVE_KEY); } catch (e) { /* nothing shared */ }
  }
  function sharedHandover() {
    var live = null;
    try { live = JSON.parse(window.localStorage.getItem(LIVE_KEY) || "null"); } catch (e) { live = null; }
    if (!live || typeof live.token !== "string" || !SIGNED_ID.test(String(live.sender)) ||
        !(Date.now() - Number(live.at) < LIVE_MS)) { return null; }
    return live;
  }

  var state = loadState();
  var config = { title: data.title || DEFAULT_TITLE, region: data.region || "", human: {},
                 retention_days: null, networks: {} };
  var busy = false;
  var failed = null;  // {text, shown, typed}: what to resend after a failure
  var WAIT_MS = 2000;  // while the server restarts, its health is asked this often…
  var WAIT_LIMIT_MS = 5 * 60 * 1000;  // …for this long, then the resend button stays
  var waitTimer = null;

  /* ---------- building the chat ---------- */

  var ids = { panel: "spro-chat-panel", title: "spro-chat-title", input: "spro-chat-input",
              hint: "spro-chat-hint" };
  var root = el("div", "spro-chat spro-chat--" + mode);
  root.lang = "fr";
  applyColour(data.color);

  var launcher = null;
  if (mode === "widget") {
    launcher = el("button", "spro-launcher", T.launcher);
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", ids.panel);
    root.appendChild(launcher);
  }

  var panel = el("section", "spro-panel");
  panel.id = ids.panel;
  panel.setAttribute("aria-labelledby", ids.title);
  if (mode === "widget") {
    panel.setAttribute("role", "dialog");
    panel.hidden = true;
  }
  root.appendChild(panel);

  var header = el("div", "spro-panel__header");
  var title = el(mode === "page" ? "h1" : "h2", "spro-panel__title", config.title);
  title.id = ids.title;
  header.appendChild(title);
  var tools = el("div", "spro-panel__tools");
  var restartButton = el("button", "spro-button spro-button--light", T.restart);
  restartButton.type = "button";
  restartButton.setAttribute("aria-label", T.restartLabel);
  tools.appendChild(restartButton);
  var closeButton = null;
  if (mode === "widget") {
    closeButton = el("button", "spro-button spro-button--light", T.close);
    closeButton.type = "button";
    closeButton.setAttribute("aria-label", T.closeLabel);
    tools.appendChild(closeButton);
  }
  header.appendChild(tools);
  panel.appendChild(header);

  panel.appendChild(el("p", "spro-notice", T.notice));

  var infos = el("div", "spro-infos");
  var privacyBox = details(T.privacy);
  var humanBox = details(T.human);
  humanBox.root.classList.add("spro-details--human");
  infos.appendChild(privacyBox.root);
  infos.appendChild(humanBox.root);
  panel.appendChild(infos);

  var log = el("div", "spro-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", T.log);
  log.tabIndex = 0;

  var typing = el("p", "spro-typing");
  typing.setAttribute("role", "status");
  var announcer = el("p", "spro-sr");
  announcer.setAttribute("role", "status");

  var errorBox = el("div", "spro-error");
  errorBox.setAttribute("role", "alert");
  var errorText = el("p", "spro-error__text");
  var resendButton = el("button", "spro-button spro-button--primary", T.resend);
  resendButton.type = "button";
  resendButton.hidden = true;
  errorBox.appendChild(errorText);
  errorBox.appendChild(resendButton);

  var form = el("form", "spro-form");
  form.noValidate = true;
  var label = el("label", "spro-sr", T.inputLabel);
  label.htmlFor = ids.input;
  var input = el("textarea", "spro-input");
  input.id = ids.input;
  input.name = "message";
  input.rows = 2;
  input.maxLength = MAX_CHARS;
  input.placeholder = T.placeholder;
  input.setAttribute("aria-describedby", ids.hint);
  input.value = state.draft || "";
  var hint = el("p", "spro-sr", T.hint);
  hint.id = ids.hint;
  var sendButton = el("button", "spro-button spro-button--primary spro-send", T.send);
  sendButton.type = "submit";
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  form.appendChild(hint);

  // History is rendered before the log is in the document: a reload is not re-announced.
  renderHistory();
  var deskBar = el("div", "spro-deskbar");
  deskBar.hidden = true;
  var deskText = el("p", "spro-deskbar__text");
  var deskLeave = el("button", "spro-button spro-button--secondary", T.leaveQueue);
  deskLeave.type = "button";
  var deskCallback = el("button", "spro-button spro-button--primary", T.callbackInstead);
  deskCallback.type = "button";
  deskCallback.hidden = true;
  deskBar.appendChild(deskText);
  deskBar.appendChild(deskCallback);
  deskBar.appendChild(deskLeave);
  var callbackArea = el("div", "spro-callback-area");
  panel.appendChild(log);
  panel.appendChild(deskBar);
  panel.appendChild(callbackArea);
  panel.appendChild(typing);
  panel.appendChild(announcer);
  panel.appendChild(errorBox);
  panel.appendChild(form);
  renderInfos();

  function details(summaryText) {
    var box = el("details", "spro-details");
    box.appendChild(el("summary", "spro-details__summary", summaryText));
    var body = el("div", "spro-details__body");
    box.appendChild(body);
    return { root: box, body: body };
  }

  function applyColour(colour) {
    if (!colour) { return; }
    var lum = luminance(colour);
    // White text on the colour must reach 4.5:1 (WCAG 1.4.3); otherwise keep the default.
    if (lum === null || 1.05 / (lum + 0.05) < 4.5) {
      if (window.console) { console.warn("spro-chat: data-color ignored (contrast below 4.5:1 with white text)"); }
      return;
    }
    root.style.setProperty("--spro-primary", colour.charAt(0) === "#" ? colour : "#" + colour);
  }

  /* ---------- information sections ---------- */

  function renderInfos() {
    title.textContent = data.title || config.title || DEFAULT_TITLE;
    var p = privacyBox.body;
    p.textContent = "";
    p.appendChild(el("p", null, "Vous restez anonyme : aucun compte, aucun nom n'est demandé."));
    p.appendChild(el("p", null,
      "Ce qui est enregistré : vos messages et les réponses de l'assistant, avec un " +
      "identifiant de conversation tiré au hasard. Les adresses électroniques et numéros " +
      "de téléphone que vous écrivez sont masqués avant l'enregistrement."));
    p.appendChild(el("p", null, config.retention_days
      ? "Combien de temps : les échanges sont conservés sur le serveur du service " +
        "pendant " + config.retention_days + " jours au plus, puis effacés."
      : "Combien de temps : les échanges sont conservés sur le serveur du service pour " +
        "une durée limitée, et peuvent être effacés à tout moment."));
    p.appendChild(el("p", null,
      "Sur cet appareil, la conversation reste dans cet onglet jusqu'à sa fermeture. " +
      "« Recommencer » l'efface de l'onglet."));
    p.appendChild(el("p", null,
      "Rien n'est envoyé à un autre site : ni publicité, ni mesure d'audience."));

    var h = humanBox.body;
    h.textContent = "";
    var human = config.human || {};
    var phoneHref = telHref(human.phone);
    if (phoneHref) {
      var line = el("p", null, "Un conseiller ou une conseillère vous répond gratuitement par téléphone : ");
      line.appendChild(link(phoneHref, "appeler le " + human.phone));
      line.appendChild(document.createTextNode("."));
      h.appendChild(line);
      h.appendChild(el("p", null, human.hours
        ? "Horaires : " + human.hours + "."
        : "Les horaires sont indiqués sur le site de votre région."));
    } else {
      h.appendChild(el("p", null,
        "Les conseillers et conseillères du service public régional de l'orientation " +
        "répondent gratuitement par téléphone. Le numéro et les horaires sont indiqués " +
        "sur le site de votre région, rubrique orientation."));
    }
    var ask = el("button", "spro-button spro-button--primary spro-ask-person", T.humanAsk);
    ask.type = "button";
    ask.addEventListener("click", function () { humanBox.root.open = false; askForPerson(); });
    h.appendChild(ask);
    var site = safeHref(human.url, LINK_SCHEMES);
    if (site) {
      var siteLine = el("p");
      siteLine.appendChild(link(site, "Site du service régional de l'orientation", " (nouvelle fenêtre)"));
      h.appendChild(siteLine);
    }
  }

  /* ---------- rendering messages (text only, never HTML) ---------- */

  function renderHistory() {
    log.textContent = "";
    state.history.forEach(function (item, index) {
      log.appendChild(renderItem(item, index === state.history.length - 1));
    });
  }

  function renderItem(item, isLast) {
    if (item.from === "user") {
      var mine = el("div", "spro-msg spro-msg--user");
      mine.appendChild(srOnly(T.you));
      mine.appendChild(document.createTextNode(item.text));
      return mine;
    }
    if (item.orientation) { return renderOrientation(item.orientation); }
    if (item.from === "adviser") {
      var theirs = el("div", "spro-msg spro-msg--adviser");
      theirs.appendChild(el("span", "spro-msg__name", item.name + T.adviserSuffix));
      theirs.appendChild(srOnly(T.adviserSr));
      theirs.appendChild(document.createTextNode(item.text || ""));
      return theirs;
    }
    if (item.from === "desk") {
      var note = el("p", "spro-msg spro-msg--desk");
      note.appendChild(srOnly(T.desk));
      note.appendChild(document.createTextNode(item.text || ""));
      return note;
    }
    var wrap = el("div", "spro-turn");
    var msg = el("div", "spro-msg spro-msg--bot");
    msg.appendChild(srOnly(T.bot));
    msg.appendChild(document.createTextNode(item.text || ""));
    if (Array.isArray(item.links) && item.links.length) { msg.appendChild(renderContactLinks(item.links)); }
    wrap.appendChild(msg);
    if (isLast && Array.isArray(item.buttons) && item.buttons.length) {
      wrap.appendChild(renderReplies(item.buttons));
    }
    return wrap;
  }

  /* The links of the hand-over payload (the line, the service's site), inside the message. */
  function renderContactLinks(links) {
    var list = el("ul", "spro-msg__links");
    links.forEach(function (l) {
      var node = null;
      if (l && l.kind === "phone" && telHref(l.phone)) {
        node = link(telHref(l.phone), "Appeler le " + l.phone);
      } else if (l && l.kind === "site" && typeof l.service === "string" && typeof l.host === "string") {
        var href = safeHref(l.href, LINK_SCHEMES);
        if (href) { node = link(href, "Site du " + l.service + " : " + l.host, " (nouvelle fenêtre)"); }
      }
      if (node) { var li = el("li"); li.appendChild(node); list.appendChild(li); }
    });
    return list;
  }

  function renderReplies(buttons) {
    var group = el("div", "spro-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T.replies);
    buttons.forEach(function (b) {
      if (!b || typeof b.title !== "string") { return; }
      var button = el("button", "spro-reply", b.title);
      button.type = "button";
      button.addEventListener("click", function () {
        send(typeof b.payload === "string" && b.payload ? b.payload : b.title, b.title, false);
      });
      group.appendChild(button);
    });
    return group;
  }

  // Unknown hours: ask by the ways the card really gives (never « par téléphone » without a phone).
  function askBefore(s) {
    var ways = [telHref(s.phone) && "par téléphone", safeHref(s.website, LINK_SCHEMES) && "sur son site",
      mailHref(s.email) && "par courriel"].filter(Boolean);
    if (!ways.length) { return ", renseignez-vous avant de vous déplacer"; }
    var last = ways.pop();
    return ", renseignez-vous " + (ways.length ? ways.join(", ") + " ou " : "") + last;
  }

  function hoursText(hours) {
    if (!hours) { return ""; }
    if (typeof hours === "string") { return hours; }
    if (Array.isArray(hours)) { return hours.filter(function (h) { return typeof h === "string"; }).join(" ; "); }
    if (typeof hours === "object") {
      if (typeof hours.text === "string") { return hours.text; }
      if (typeof hours.summary === "string") { return hours.summary; }
      return Object.keys(hours).map(function (day) {
        var v = hours[day];
        v = Array.isArray(v) ? v.join(", ") : v;
        return typeof v === "string" && v ? day + " : " + v : "";
      }).filter(Boolean).join(" ; ");
    }
    return "";
  }

  function networkName(code) {
    if (typeof code !== "string" || !code) { return ""; }
    if (config.networks && typeof config.networks[code] === "string") { return config.networks[code]; }
    if (code.length <= 4) { return code.toUpperCase(); }
    var words = code.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function mapHref(s) {
    var lat = Number(s.latitude !== undefined ? s.latitude : s.lat);
    var lon = Number(s.longitude !== undefined ? s.longitude : s.lon);
    if (isFinite(lat) && isFinite(lon) && (s.latitude !== undefined || s.lat !== undefined)) {
      return "https://www.openstreetmap.org/?mlat=" + lat + "&mlon=" + lon + "#map=17/" + lat + "/" + lon;
    }
    var place = [s.address, s.postcode, s.commune].filter(function (x) {
      return typeof x === "string" && x;
    }).join(" ");
    return place ? "https://www.openstreetmap.org/search?query=" + encodeURIComponent(place) : null;
  }

  /* An orientation without structures nor remote options has nothing to draw: its text says it. */
  function hasPlaces(o) {
    return (Array.isArray(o.structures) && o.structures.length > 0) ||
      (Array.isArray(o.remote) && o.remote.length > 0);
  }

  // « de » before a place name: « d'Orléans », « du Mans », « des Herbiers ».
  function ofPlace(name) {
    if (name.indexOf("Le ") === 0) { return "du " + name.slice(3); }
    if (name.indexOf("Les ") === 0) { return "des " + name.slice(4); }
    return (/^[aeiouyhâàäéèêëîïôöûüÿæœ]/i.test(name) ? "d'" : "de ") + name;
  }

  // Where a link goes, said in its text: « mon-cep.org ».
  function hostOf(url) {
    var host = String(url).replace(/^[a-z]+:\/\//i, "").split(/[/?#]/)[0];
    return host.replace(/^www\./i, "") || "site";
  }

  // A structure of the recommended network: its flag; for a payload stored before the flag,
  // its network (a payload naming no network cannot tell: its structures are its proposal).
  function isRecommended(s, o) {
    if (typeof s.recommended === "boolean") { return s.recommended; }
    return typeof o.network === "string" && o.network ? s.network === o.network : true;
  }

  function renderRemoteList(remote) {
    var rl = el("ul", "spro-remote");
    remote.forEach(function (r) {
      var li = el("li", null);
      li.appendChild(el("span", "spro-remote__label", r.label));
      var tel = telHref(r.phone);
      if (tel) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(link(tel, "appeler le " + r.phone));
      }
      var url = safeHref(r.url, LINK_SCHEMES);
      if (url) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(link(url, hostOf(url), " : " + r.label + " (nouvelle fenêtre)"));
      }
      rl.appendChild(li);
    });
    return rl;
  }

  /* The recommended network without a local record: its card says how to reach it. */
  function renderReachCard(o, where, remote) {
    var card = el("li", "spro-card spro-card--first spro-card--reach");
    card.appendChild(el(SUBHEADING, "spro-card__name", networkName(o.network)));
    var net = el("p", "spro-card__network");
    net.appendChild(el("span", "spro-badge", "Proposé en premier"));
    card.appendChild(net);
    card.appendChild(el("p", "spro-card__why", "Pas encore d'adresse enregistrée" + where +
      (remote.length ? ". Pour le trouver ou le joindre :" : ".")));
    if (remote.length) { card.appendChild(renderRemoteList(remote)); }
    return card;
  }

  /* The recommended door first (its nearest structures, or how to reach it), then the
     other network's, labelled « En second choix »; « Proposé en premier » on one card only. */
  function renderOrientation(o) {
    var box = el("div", "spro-msg spro-msg--bot spro-orientation");
    box.appendChild(srOnly(T.bot));
    var structures = (Array.isArray(o.structures) ? o.structures : []).filter(function (s) {
      return s && typeof s === "object";
    });
    var mains = structures.filter(function (s) { return isRecommended(s, o); });
    var others = structures.filter(function (s) { return !isRecommended(s, o); });
    var remote = (Array.isArray(o.remote) ? o.remote : []).filter(function (r) {
      return r && typeof r.label === "string";
    });
    var where = o.commune && typeof o.commune.name === "string" ? " près " + ofPlace(o.commune.name) : "";
    var reachFirst = !mains.length && typeof o.network === "string" && o.network !== "" &&
      (where !== "" || others.length > 0);
    box.appendChild(el("p", "spro-orientation__intro", mains.length || reachFirst
      ? "Où vous adresser" + where + " :"
      : "Voici comment obtenir de l'aide à distance :"));
    if (mains.length || reachFirst) {
      var list = el("ul", "spro-cards");
      if (reachFirst) { list.appendChild(renderReachCard(o, where, remote)); }
      mains.forEach(function (s, index) { list.appendChild(renderCard(s, index === 0)); });
      box.appendChild(list);
    }
    if (others.length) {
      var second = networkName(o.also || others[0].network);
      box.appendChild(el(SUBHEADING, "spro-orientation__subtitle",
        "En second choix" + (second ? " : " + second : "")));
      var otherList = el("ul", "spro-cards spro-cards--second");
      others.forEach(function (s) { otherList.appendChild(renderCard(s, false)); });
      box.appendChild(otherList);
    }
    if (remote.length && !reachFirst) {
      box.appendChild(el(SUBHEADING, "spro-orientation__subtitle", "À distance"));
      box.appendChild(renderRemoteList(remote));
    }
    return box;
  }

  function renderCard(s, recommended) {
    var name = typeof s.name === "string" ? s.name : "";
    var card = el("li", "spro-card" + (recommended ? " spro-card--first" : ""));
    card.appendChild(el(SUBHEADING, "spro-card__name", name));
    var net = el("p", "spro-card__network", networkName(s.network));
    if (recommended) { net.appendChild(el("span", "spro-badge", "Proposé en premier")); }
    card.appendChild(net);
    var addr = el("p", "spro-card__address");
    if (s.address) { addr.appendChild(el("span", "spro-line", s.address)); }
    var town = [s.postcode, s.commune].filter(function (x) { return typeof x === "string" && x; }).join(" ");
    if (town) { addr.appendChild(el("span", "spro-line", town)); }
    if (addr.childNodes.length) { card.appendChild(addr); }
    if (typeof s.age_notice === "string" && s.age_notice) {
      // Old data (the record's date is in the payload): said before anything else to use.
      card.appendChild(el("p", "spro-card__age", s.age_notice));
    }
    if (typeof s.distance_km === "number" && isFinite(s.distance_km)) {
      card.appendChild(el("p", "spro-card__distance", "À environ " + frNumber(s.distance_km, 1) + " km" +
        (s.distance_approximate === true ? " (distance approximative, depuis le centre de la commune)" : "")));
    }
    if (s.open_now === true || s.open_now === false) {
      card.appendChild(el("p", "spro-card__open spro-card__open--" + (s.open_now ? "yes" : "no"),
        s.open_now ? "Ouvert maintenant" : "Fermé en ce moment"));
    }
    if (typeof s.next_opening === "string" && s.next_opening) {
      card.appendChild(el("p", "spro-card__next", s.next_opening.charAt(0).toUpperCase() + s.next_opening.slice(1) + "."));
    }
    var hours = hoursText(s.hours);
    card.appendChild(el("p", "spro-card__hours", hours ? "Horaires : " + hours : "Horaires : non connus" + askBefore(s) + "."));
    if (typeof s.why === "string" && s.why) {
      card.appendChild(el("p", "spro-card__why", "Pourquoi : " + s.why));
    }
    var links = el("ul", "spro-card__links");
    var tel = telHref(s.phone);
    if (tel) { links.appendChild(item(link(tel, "Appeler le " + s.phone, " (" + name + ")"))); }
    var map = mapHref(s);
    if (map) { links.appendChild(item(link(map, "Voir sur une carte", " : " + name + " (OpenStreetMap, nouvelle fenêtre)"))); }
    var web = safeHref(s.website, LINK_SCHEMES);
    if (web) { links.appendChild(item(link(web, "Site web", " de " + name + " (nouvelle fenêtre)"))); }
    var mail = mailHref(s.email);
    if (mail) { links.appendChild(item(link(mail, "Écrire un courriel", " à " + name))); }
    if (links.childNodes.length) { card.appendChild(links); }
    return card;

    function item(child) { var li = el("li"); li.appendChild(child); return li; }
  }

  function addToHistory(entry) {
    // Quick replies belong to the last message only: re-render the previous one without them.
    var last = log.lastElementChild;
    var previous = state.history[state.history.length - 1];
    if (last && previous && previous.buttons && previous.buttons.length) {
      var hadFocus = last.contains(document.activeElement);
      log.replaceChild(renderItem(previous, false), last);
      if (hadFocus) { input.focus(); }
    }
    state.history.push(entry);
    if (state.history.length > MAX_HISTORY) {
      state.history.splice(0, state.history.length - MAX_HISTORY);
      if (log.firstElementChild) { log.removeChild(log.firstElementChild); }
    }
    var node = renderItem(entry, true);
    log.appendChild(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function botMessages(messages) {
    var first = null;
    var lastText = null;  // {entry, node} of this answer's last text
    (Array.isArray(messages) ? messages : []).forEach(function (m) {
      if (!m || typeof m !== "object") { return; }
      var node = null;
      if (m.custom && m.custom.type === "orientation" && hasPlaces(m.custom)) {
        node = addToHistory({ from: "bot", orientation: m.custom });
      }
      if (m.custom && m.custom.type === "handover") {
        // One message: the number's text with its links, then the desk's queue notice.
        if (lastText && Array.isArray(m.custom.links) && m.custom.links.length) {
          lastText.entry.links = m.custom.links;
          var redrawn = renderItem(lastText.entry, lastText.entry === state.history[state.history.length - 1]);
          if (lastText.node.parentNode === log) { log.replaceChild(redrawn, lastText.node); }
          if (first === lastText.node) { first = redrawn; }
          lastText.node = redrawn;
          saveState();
        }
        askForPerson();
      }
      if (typeof m.text === "string" && m.text) {
        var buttons = Array.isArray(m.buttons) ? m.buttons.filter(function (b) {
          return b && typeof b.title === "string";
        }).map(function (b) {
          return { title: b.title, payload: typeof b.payload === "string" ? b.payload : b.title };
        }) : [];
        var entry = { from: "bot", text: m.text, buttons: buttons };
        var textNode = addToHistory(entry);
        lastText = { entry: entry, node: textNode };
        node = node || textNode;
      }
      first = first || node;
    });
    // Show the start of the answer (a long structure card must not open on its end).
    if (first) {
      var offset = first.getBoundingClientRect().top - log.getBoundingClientRect().top;
      log.scrollTop = Math.max(0, log.scrollTop + offset - 8);
    }
  }

  /* ---------- talking to the server ---------- */

  function showError(message) {
    errorText.textContent = message;
    resendButton.hidden = false;
  }
  function clearError() {
    errorText.textContent = "";
    resendButton.hidden = true;
    failed = null;
    window.clearTimeout(waitTimer);
  }

  // The server does not answer (it restarts after a crash): say so with the regional
  // line, and send the message again by itself as soon as the server answers.
  function restartingText() {
    var phone = (config.human || {}).phone;
    return T.unreachable + T.restarting +
      (telHref(phone) ? T.restartingLine + " : " + phone + "." : T.restartingNoLine);
  }
  function resendWhenBack(started) {
    window.clearTimeout(waitTimer);
    waitTimer = window.setTimeout(function () {
      if (!failed || busy) { return; }
      function again() {
        if (failed && Date.now() - started < WAIT_LIMIT_MS) { resendWhenBack(started); }
      }
      fetch(base + "health", { credentials: "omit", cache: "no-store" }).then(function (response) {
        if (response.ok && failed && !busy) { resendButton.click(); } else { again(); }
      }).catch(again);
    }, WAIT_MS);
  }

  function conversationId(controller) {
    if (state.sender) { return Promise.resolve(state.sender); }
    return fetch(base + "conversations", {
      method: "POST",
      signal: controller ? controller.signal : undefined,
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error(T.unreachable); }
      return response.json();
    }).then(function (body) {
      state.sender = body.sender;
      saveState();
      return state.sender;
    });
  }

  function send(text, shown, typed) {
    if (busy) { announce(T.busy); return; }
    text = String(text || "").trim();
    if (!text) { return; }
    if (handoverActive() && text.charAt(0) !== "/") { sendToAdviser(text, shown, typed); return; }
    clearError();
    busy = true;
    sendButton.setAttribute("aria-disabled", "true");
    var userNode = null;
    var userEntry = shown ? { from: "user", text: shown } : null;
    if (userEntry) { userNode = addToHistory(userEntry); }
    if (typed) { input.value = ""; state.draft = ""; }
    saveState();
    typing.textContent = T.typing;
    typing.classList.add("spro-typing--on");
    var slowTimer = window.setTimeout(function () { typing.textContent = T.slow; }, SLOW_MS);
    var controller = window.AbortController ? new AbortController() : null;
    var abortTimer = window.setTimeout(function () { if (controller) { controller.abort(); } }, timeoutMs);
    var metadata = config.region ? { region: config.region } : {};

    conversationId(controller).then(function (sender) {
      return fetch(base + "webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, message: text, metadata: metadata }),
        signal: controller ? controller.signal : undefined,
        credentials: "omit"
      });
    }).then(function (response) {
      if (response.status === 403) { state.sender = ""; }  // a new id at the next try
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) {
          var err = new Error(body && typeof body.error === "string" ? body.error : T.unreachable);
          err.fromServer = true;
          err.status = response.status;
          throw err;
        }
        return body;
      });
    }).then(function (body) {
      botMessages(body);
      saveState();
    }).catch(function (error) {
      // Nothing typed is lost: the message leaves the conversation and goes back to the input.
      if (userNode) {
        var at = state.history.indexOf(userEntry);
        if (at >= 0) { state.history.splice(at, 1); }
        if (userNode.parentNode) { userNode.parentNode.removeChild(userNode); }
        // The previous message is the last one again: give its quick replies back.
        var previous = state.history[state.history.length - 1];
        if (previous && previous.buttons && previous.buttons.length && log.lastElementChild) {
          log.replaceChild(renderItem(previous, true), log.lastElementChild);
        }
      }
      failed = { text: text, shown: shown, typed: typed };
      if (typed) {
        input.value = input.value ? text + "\n" + input.value : text;
        state.draft = input.value;
      }
      saveState();
      var restarting = !(error && error.name === "AbortError") &&
        (!(error && error.fromServer) || [502, 503, 504].indexOf(error.status) >= 0);
      var reason = error && error.name === "AbortError" ? T.tooSlow
        : (restarting ? restartingText() : error.message);
      showError(reason + (typed ? T.kept : (shown ? T.keptChoice : "")));
      if (restarting) { resendWhenBack(Date.now()); }
    }).then(function () {
      window.clearTimeout(slowTimer);
      window.clearTimeout(abortTimer);
      typing.textContent = "";
      typing.classList.remove("spro-typing--on");
      busy = false;
      sendButton.removeAttribute("aria-disabled");
    });
  }

  function announce(message) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = message; }, 50);
  }

  function greetIfNew() {
    if (!state.history.length && !busy && !failed && !handoverActive()) { send("/greet", null, false); }
  }


  /* ---------- a person: hand-over to an adviser, or a call-back request ---------- */

  var events = null;  // the EventSource of the held conversation
  var leaving = false;  // the page is being left or reloaded: its stream's end means nothing
  var rejoinTimer = null;
  var rejoinMs = 0;  // the next wait before following the desk again (doubles up to 15 s)
  var troubleTimer = null;  // a stream ending every 5 minutes is normal: say nothing at once

  function handoverActive() {
    return !!(state.handover && HANDOVER_ACTIVE.indexOf(state.handover.status) >= 0);
  }

  function postDesk(path, body) {
    return fetch(handoverBase + path, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), credentials: "omit"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return { ok: response.ok, status: response.status, body: answer || {} };
      });
    });
  }

  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }

  function waitingText(view) {
    var ahead = Number(view.ahead) || 0;
    var minutes = Math.max(1, Number(view.wait_minutes) || 1);
    var queue = ahead === 0 ? "Vous êtes la prochaine personne en attente."
      : plural(ahead, "personne attend", "personnes attendent") + " avant vous.";
    return "Un conseiller ou une conseillère va vous répondre ici. " + queue +
      " Attente estimée : environ " + plural(minutes, "minute", "minutes") +
      ". Vous pouvez déjà écrire votre question.";
  }

  function showDeskState(view, announceIt) {
    var previous = state.handover ? state.handover.status : null;
    state.handover.status = view.status;
    saveState();
    if (view.status === "waiting") {
      deskBar.hidden = false;
      deskLeave.textContent = T.leaveQueue;
      deskCallback.hidden = view.live !== false;
      var text = view.live === false ? T.nobodyLeft : waitingText(view);
      if (text !== deskText.textContent) {
        deskText.textContent = text;
        if (announceIt) { announce(text); }
      }
    } else if (view.status === "taken") {
      deskBar.hidden = false;
      deskCallback.hidden = true;
      deskLeave.textContent = T.leaveAdviser;
      deskText.textContent = "Vous échangez avec " + (view.adviser || "une personne") + T.adviserSuffix + ".";
    } else {
      stopDesk();
    }
    return previous;
  }

  function askForPerson() {
    if (handoverActive()) { return; }
    closeCallbackForm();
    announce(T.asking);
    conversationId(null).then(function (sender) {
      return postDesk("request", { sender: sender, region: config.region || "" });
    }).then(function (answer) {
      if (answer.status === 201 && answer.body.token) {
        state.handover = { token: answer.body.token, status: "waiting", lastId: 0 };
        var text = waitingText(answer.body);
        addToHistory({ from: "desk", text: text });
        showDeskState(answer.body, false);
        followDesk();
        input.focus();
      } else if (answer.status === 409 && answer.body.callback) {
        showCallbackForm(answer.body.callback);
      } else {
        showError(answer.body.error || T.unreachable);
      }
    }).catch(function () { showError(T.unreachable); });
  }

  function followDesk() {
    if (events || !state.handover || leaving) { return; }
    window.clearTimeout(rejoinTimer);
    var url = handoverBase + "events?token=" + encodeURIComponent(state.handover.token) +
      "&after=" + (state.handover.lastId || 0);
    events = new EventSource(url);
    events.addEventListener("open", function () { rejoinMs = 0; window.clearTimeout(troubleTimer); });
    events.addEventListener("message", function (event) {
      var m = null;
      try { m = JSON.parse(event.data); } catch (e) { return; }
      if (!m || !state.handover || m.id <= (state.handover.lastId || 0)) { return; }
      state.handover.lastId = m.id;
      if (m.who === "adviser") {
        addToHistory({ from: "adviser", name: String(m.name || ""), text: String(m.text || "") });
      } else if (m.who === "desk") {
        addToHistory({ from: "desk", text: String(m.text || "") });
      }
      saveState();
    });
    events.addEventListener("state", function (event) {
      var view = null;
      try { view = JSON.parse(event.data); } catch (e) { return; }
      if (view && state.handover) { showDeskState(view, true); }
    });
    events.onerror = function () {
      if (leaving || !events) { return; }
      window.clearTimeout(troubleTimer);
      if (events.readyState !== 2) {  // the browser tries again by itself
        troubleTimer = window.setTimeout(showReconnecting, 3000);
        return;
      }
      showReconnecting();
      events.close();
      events = null;
      rejoinLater();
    };
  }

  function showReconnecting() {
    if (deskText.textContent !== T.reconnecting) {
      deskText.textContent = T.reconnecting;
      announce(T.reconnecting);
    }
  }

  // The stream was refused or cut for good (network down, instance gone, page reloaded):
  // only the desk says whether the conversation still goes on. Ask it after 1, 2, 4… up
  // to 15 s, then follow the stream again from the last message seen.
  function rejoinLater() {
    window.clearTimeout(rejoinTimer);
    rejoinMs = Math.min(15000, rejoinMs ? rejoinMs * 2 : 1000);
    rejoinTimer = window.setTimeout(rejoinDesk, rejoinMs);
  }

  function rejoinDesk() {
    if (!state.handover || events || leaving) { return; }
    var url = handoverBase + "state?token=" + encodeURIComponent(state.handover.token);
    fetch(url, { credentials: "omit", cache: "no-store" }).then(function (response) {
      if (!state.handover) { return; }
      if (response.status === 404) {  // the desk no longer knows this conversation
        addToHistory({ from: "desk", text: T.lost });
        stopDesk();
      } else if (response.ok) {
        followDesk();  // the messages missed meanwhile come first, then the state
      } else {
        rejoinLater();
      }
    }).catch(rejoinLater);
  }

  // Leaving or reloading the page cuts its stream: that is no reason to end the chat.
  window.addEventListener("pagehide", function () {
    leaving = true;
    if (events) { events.close(); events = null; }
  });
  window.addEventListener("pageshow", function (event) {
    leaving = false;
    if (event.persisted && handoverActive()) { followDesk(); }
  });

  function stopDesk() {
    if (events) { events.close(); events = null; }
    unshareHandover();
    window.clearTimeout(rejoinTimer);
    window.clearTimeout(troubleTimer);
    deskBar.hidden = true;
    deskText.textContent = "";
    if (state.handover) { state.handover.status = "over"; }
    saveState();
  }

  function leaveDesk() {
    if (!handoverActive()) { return; }
    postDesk("leave", { token: state.handover.token }).catch(function () { /* the desk sees it go */ });
    stopDesk();
  }

  deskLeave.addEventListener("click", function () {
    leaveDesk();
    addToHistory({ from: "desk", text: "Vous avez quitté l'échange. Vous pouvez continuer avec l'assistant." });
    saveState();
    input.focus();
  });

  deskCallback.addEventListener("click", function () {
    leaveDesk();
    var url = handoverBase + "status" + (config.region ? "?region=" + encodeURIComponent(config.region) : "");
    fetch(url, { credentials: "omit" }).then(function (r) { return r.json(); })
      .then(showCallbackForm)
      .catch(function () { showError(T.unreachable); });
  });

  function sendToAdviser(text, shown, typed) {
    clearError();
    var entry = { from: "user", text: shown || text };
    var node = addToHistory(entry);
    if (typed) { input.value = ""; state.draft = ""; }
    saveState();
    postDesk("message", { token: state.handover.token, text: text }).then(function (answer) {
      if (!answer.ok) { throw new Error(answer.body.error || T.unreachable); }
    }).catch(function (error) {
      var at = state.history.indexOf(entry);
      if (at >= 0) { state.history.splice(at, 1); }
      if (node.parentNode) { node.parentNode.removeChild(node); }
      if (typed) { input.value = text; state.draft = text; }
      failed = { text: text, shown: shown, typed: typed };
      saveState();
      showError((error && error.message ? error.message : T.unreachable) + (typed ? T.kept : ""));
    });
  }

  /* The call-back form: only what is needed, and nothing kept without the person's consent. */
  function closeCallbackForm() {
    callbackArea.textContent = "";
    panel.classList.remove("spro-panel--callback");
  }

  function field(labelText, control, id, hintText) {
    var box = el("div", "spro-field");
    var lab = el("label", "spro-field__label", labelText);
    lab.htmlFor = id;
    control.id = id;
    box.appendChild(lab);
    if (hintText) {
      var hintNode = el("p", "spro-field__hint", hintText);
      hintNode.id = id + "-hint";
      control.setAttribute("aria-describedby", hintNode.id);
      box.appendChild(hintNode);
    }
    box.appendChild(control);
    return box;
  }

  function showCallbackForm(line) {
    closeCallbackForm();
    var days = Number(line.retention_days) || 7;
    var openDays = Number(line.open_days) || 30;
    var form = el("form", "spro-callback");
    form.noValidate = true;
    form.setAttribute("aria-labelledby", "spro-callback-title");
    var heading = el(SUBHEADING, "spro-callback__title", "Être recontacté·e par une personne");
    heading.id = "spro-callback-title";
    heading.tabIndex = -1;
    form.appendChild(heading);
    var why = line.open_now === false
      ? "La ligne est fermée en ce moment."
      : "Aucun conseiller ni aucune conseillère n'est disponible pour écrire en ce moment.";
    form.appendChild(el("p", null, why + (line.hours
      ? " Horaires de la ligne : " + line.hours
      : " Nous ne connaissons pas ici les horaires de la ligne.")));
    form.appendChild(el("p", null, "Laissez un numéro de téléphone ou une adresse électronique : " +
      "une personne vous recontactera. C'est facultatif, et rien d'autre n'est demandé."));

    var kinds = el("fieldset", "spro-field");
    kinds.appendChild(el("legend", "spro-field__label", "Comment vous recontacter ?"));
    [["phone", "Par téléphone"], ["email", "Par courriel"]].forEach(function (k, i) {
      var row = el("div", "spro-choice");
      var radio = el("input");
      radio.type = "radio"; radio.name = "contact_kind"; radio.value = k[0]; radio.id = "spro-cb-kind-" + k[0];
      if (i === 0) { radio.checked = true; }
      var lab = el("label", null, k[1]);
      lab.htmlFor = radio.id;
      row.appendChild(radio); row.appendChild(lab);
      kinds.appendChild(row);
    });
    form.appendChild(kinds);

    var contact = el("input", "spro-input spro-input--line");
    contact.name = "contact"; contact.maxLength = 200; contact.autocomplete = "tel";
    form.appendChild(field("Votre numéro ou votre adresse", contact, "spro-cb-contact",
      "Par exemple 06 12 34 56 78, ou prenom@exemple.fr"));
    kinds.addEventListener("change", function () {
      var email = form.querySelector("input[name=contact_kind]:checked").value === "email";
      contact.type = email ? "email" : "tel";
      contact.autocomplete = email ? "email" : "tel";
    });

    var slot = el("select", "spro-input spro-input--line");
    slot.name = "slot";
    (line.slots || []).forEach(function (s) {
      var option = el("option", null, s.label);
      option.value = s.value;
      slot.appendChild(option);
    });
    form.appendChild(field("Le moment qui vous convient le mieux", slot, "spro-cb-slot"));

    var note = el("textarea", "spro-input spro-input--line");
    note.name = "note"; note.rows = 2; note.maxLength = 500;
    form.appendChild(field("Votre question en quelques mots (facultatif)", note, "spro-cb-note",
      "Sans nom ni coordonnées : 500 caractères au plus."));

    var consentRow = el("div", "spro-choice spro-consent");
    var consent = el("input");
    consent.type = "checkbox"; consent.name = "consent"; consent.id = "spro-cb-consent";
    var consentLabel = el("label", null, "J'accepte que le service garde ce numéro ou cette adresse " +
      "pour me recontacter. Ils seront effacés au plus tard " + days + " jours après le rappel, " +
      "et " + openDays + " jours après ma demande si personne n'a pu me rappeler.");
    consentLabel.htmlFor = consent.id;
    consentRow.appendChild(consent); consentRow.appendChild(consentLabel);
    form.appendChild(consentRow);

    var problem = el("p", "spro-callback__error");
    problem.setAttribute("role", "alert");
    form.appendChild(problem);
    var actions = el("div", "spro-callback__actions");
    var submit = el("button", "spro-button spro-button--primary", "Envoyer ma demande");
    submit.type = "submit";
    var cancel = el("button", "spro-button spro-button--secondary", "Annuler");
    cancel.type = "button";
    cancel.addEventListener("click", function () { closeCallbackForm(); input.focus(); });
    actions.appendChild(submit); actions.appendChild(cancel);
    form.appendChild(actions);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      problem.textContent = "";
      if (!consent.checked) {
        problem.textContent = "Cochez la case d'accord : sans elle, nous ne gardons pas vos coordonnées.";
        consent.focus();
        return;
      }
      if (!contact.value.trim()) {
        problem.textContent = "Indiquez votre numéro ou votre adresse.";
        contact.focus();
        return;
      }
      submit.setAttribute("aria-disabled", "true");
      conversationId(null).then(function (sender) {
        return postDesk("callback", {
          sender: sender, region: config.region || "", consent: true,
          contact_kind: form.querySelector("input[name=contact_kind]:checked").value,
          contact: contact.value, slot: slot.value, note: note.value
        });
      }).then(function (answer) {
        submit.removeAttribute("aria-disabled");
        if (!answer.ok) {
          problem.textContent = answer.body.error || T.unreachable;
          return;
        }
        closeCallbackForm();
        addToHistory({ from: "desk", text: answer.body.text });
        saveState();
        input.focus();
      }).catch(function () {
        submit.removeAttribute("aria-disabled");
        problem.textContent = T.unreachable + " Vos réponses sont restées dans le formulaire.";
      });
    });
    callbackArea.appendChild(form);
    panel.classList.add("spro-panel--callback");  // on a phone, the form takes the panel
    heading.focus();
  }

  /* ---------- events ---------- */

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { send(text, text, true); }
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); }
      else { form.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  });

  input.addEventListener("input", function () {
    state.draft = input.value;
    saveState();
  });

  resendButton.addEventListener("click", function () {
    var retry = failed;
    if (!retry) { return; }
    if (retry.typed) {
      var text = input.value.trim() || retry.text;
      send(text, text, true);
    } else {
      send(retry.text, retry.shown, false);
    }
    input.focus();
  });

  restartButton.addEventListener("click", function () {
    leaveDesk();
    closeCallbackForm();
    state = { sender: "", history: [], draft: "", open: state.open };
    input.value = "";
    clearError();
    saveState();
    log.textContent = "";
    announce(T.restarted);
    input.focus();
    greetIfNew();
  });

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("spro-chat--open");
    state.open = true;
    saveState();
    log.scrollTop = log.scrollHeight;
    input.focus();
    greetIfNew();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("spro-chat--open");
    state.open = false;
    saveState();
    launcher.focus();
  }

  if (mode === "widget") {
    launcher.addEventListener("click", function () {
      if (panel.hidden) { openPanel(); } else { closePanel(); }
    });
    closeButton.addEventListener("click", closePanel);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.defaultPrevented) {
        event.preventDefault();
        closePanel();
      }
    });
  }

  /* ---------- start ---------- */

  function ensureStylesheet() {
    var href = new URL("static/spro-chat.css", base).href;
    var links = document.querySelectorAll("link[rel=stylesheet]");
    for (var i = 0; i < links.length; i++) { if (links[i].href === href) { return; } }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = href;
    document.head.appendChild(css);
  }

  function loadConfig() {
    var url = base + "config" + (config.region ? "?region=" + encodeURIComponent(config.region) : "");
    return fetch(url, { credentials: "omit" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (remote) {
      if (!remote || typeof remote !== "object") { return; }
      if (typeof remote.title === "string" && remote.title) { config.title = remote.title; }
      if (!config.region && typeof remote.region === "string") { config.region = remote.region; }
      if (remote.human && typeof remote.human === "object") { config.human = remote.human; }
      if (typeof remote.retention_days === "number") { config.retention_days = remote.retention_days; }
      if (remote.networks && typeof remote.networks === "object") { config.networks = remote.networks; }
      renderInfos();
      // Network names arrived: redraw the cards in a fresh log, swapped in whole, so that
      // screen readers do not read the restored conversation again.
      if (state.history.some(function (h) { return h.orientation; })) {
        var fresh = log.cloneNode(false);
        var old = log;
        log = fresh;
        renderHistory();
        old.parentNode.replaceChild(fresh, old);
        log.scrollTop = log.scrollHeight;
      }
    }).catch(function () { /* defaults stay: they say where to find the regional line */ });
  }

  function mount() {
    ensureStylesheet();
    var container = mode === "page" && data.container ? document.querySelector(data.container) : null;
    (container || document.body).appendChild(root);
    root.setAttribute("data-ready", "true");
    loadConfig().then(function () {
      if (mode === "page" || state.open) { greetIfNew(); }
    });
    // A live chat going on in another tab: this tab joins it and shows what the adviser wrote.
    var live = handoverActive() ? null : sharedHandover();
    if (live && (!state.sender || state.sender === live.sender)) {
      state.sender = live.sender;
      state.handover = { token: live.token, status: "waiting", lastId: 0 };
      saveState();
    }
    if (handoverActive()) { followDesk(); }
    if (mode === "widget" && state.open) {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      root.classList.add("spro-chat--open");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
}());
